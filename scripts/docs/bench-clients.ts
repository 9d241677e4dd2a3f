/**
 * The two Kafka clients behind the seam, side by side, from the bench's `alt` stage
 * (`clients` in bench/results/latest.json): a row for the README's performance table and a
 * section of bench/README.md.
 */
import type { BenchResults } from '../../bench/lib/report.js';
import type { ClientFigures } from '../../bench/sections/alt-client.js';
import { fleetCpu } from '../../bench/sections/fleet.js';
import { byRate, num, si } from './bench.js';
import { table } from './sections.js';

const clientsOf = (r: BenchResults): Array<[string, ClientFigures]> => Object.entries(r.clients?.clients ?? {});

/** README rows [what, measured, target]: each client's pipe and fleet latency, side by side. */
export function clientRows(r: BenchResults): string[][] {
  const clients = clientsOf(r);
  if (clients.length === 0) return [];
  const names = clients.map(([, c]) => c.library).join(' / ');
  const pipes = clients.map(([, c]) => si(c.pipe?.ratePerSec)).join(' / ');
  const rows = [[`Kafka clients through the seam, do-nothing pipe: ${names}`, `${pipes} records/s`, '']];
  for (const rate of r.clients?.fleetRates ?? []) {
    const at = clients.map(([, c]) => c.fleet?.steps.find((s) => s.offeredPerSec === rate));
    const ms = at.map((s) => `${num(s?.latencyMs.p50)} / ${num(s?.latencyMs.p99)}`).join(' · ');
    rows.push([`the fleet on each client, p50 / p99 at ${num(rate)} rides/s: ${names}`, `${ms} ms`, '']);
  }
  return rows;
}

/** bench/README.md's section on the clients. */
export function clientsDetail(r: BenchResults): string[] {
  const clients = clientsOf(r);
  if (clients.length === 0) return [];
  const rates = r.clients?.fleetRates ?? [];
  const rows = clients.map(([kind, c]) => {
    const steps = byRate(c.fleet?.steps ?? []);
    const at = (rate: number) => steps.find((s) => s.offeredPerSec === rate);
    return [
      `${c.library} (\`KAFKA_CLIENT=${kind}\`)`,
      num(c.consumer?.ratePerSec),
      num(c.pipe?.ratePerSec),
      num(c.pipe?.cpuSecPer1000, 3),
      ...rates.flatMap((rate) => {
        const step = at(rate);
        return [`${num(step?.latencyMs.p50)} / ${num(step?.latencyMs.p99)}`, num(step && fleetCpu(step), 3)];
      }),
    ];
  });
  const header = [
    'client',
    'consumer records/s',
    'pipe records/s',
    'pipe CPU s / 1,000',
    ...rates.flatMap((rate) => [`fleet p50 / p99 ms at ${num(rate)}`, `fleet CPU s / 1,000 at ${num(rate)}`]),
  ];
  return [
    '### Kafka clients side by side',
    '',
    'The same do-nothing consumer and pipe as the ceilings, through the seam, on each client; then the whole fleet on each (`KAFKA_CLIENT` of every service), fleet CPU = the five services (the monitor among them) and the broker:',
    '',
    ...table(header, rows, `l${'r'.repeat(header.length - 1)}`),
    '',
  ];
}
