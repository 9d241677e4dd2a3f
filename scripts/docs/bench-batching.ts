/**
 * The fleet with default vs batched fetches and commits, from the bench's tuning stage
 * (`tuning.fleetBatching` in bench/results/latest.json): a row for the README's performance
 * table and a table of bench/README.md.
 */
import type { BenchResults } from '../../bench/lib/report.js';
import { outcome } from '../../bench/lib/verdict.js';
import { fleetCpu, type FleetResult, type RateStep } from '../../bench/sections/fleet.js';
import { byRate, met, num, ridePathCpu, signed, TARGETS } from './bench.js';
import { table } from './sections.js';

const runsOf = (r: BenchResults): Array<[string, FleetResult]> => Object.entries(r.tuning?.fleetBatching ?? {});

/** The settings of a run as the environment variables that made it. */
function settings(fleet: FleetResult): string {
  const env = Object.entries(fleet.env);
  return env.length === 0 ? 'defaults' : env.map(([k, v]) => `\`${k}=${v}\``).join(', ');
}

/** "default, p50 ≤ 10 and p99 ≤ 25 ms: **not met** (+1 / +3 ms)": by how much a miss misses. */
function latencyVerdict(d: RateStep): string {
  const { p50, p99 } = d.latencyMs;
  const ok = outcome([p50, p99], p50 <= TARGETS.p50Ms && p99 <= TARGETS.p99Ms);
  const by = ok === 'not met' ? ` (${signed(p50 - TARGETS.p50Ms)} / ${signed(p99 - TARGETS.p99Ms)} ms)` : '';
  return `default, p50 ≤ ${TARGETS.p50Ms} and p99 ≤ ${TARGETS.p99Ms} ms: ${met(ok)}${by}`;
}

/** "; default, four services + broker ≤ 0.5 CPU s: met", with the figure and the gap when missed. */
function cpuVerdict(d: RateStep): string {
  const ridePath = ridePathCpu(d);
  const target = TARGETS.fleetCpuSecPer1000;
  const ok = outcome([ridePath], ridePath <= target);
  const by = ok === 'not met' ? ` (${num(ridePath, 2)}, ${signed(ridePath - target, 2)} CPU s)` : '';
  return `; default, four services + broker ≤ ${target} CPU s: ${met(ok)}${by}`;
}

/** README rows [what, measured, target]: p50 / p99 and fleet CPU of each settings at each rate. */
export function batchingRows(r: BenchResults): string[][] {
  const runs = runsOf(r);
  if (runs.length === 0) return [];
  const rates = byRate(runs[0][1].steps).map((s) => s.offeredPerSec);
  const names = runs.map(([name]) => name).join(' / ');
  const defaults = runs.find(([name]) => name === 'default')?.[1];
  return rates.map((rate) => {
    const at = runs.map(([, f]) => f.steps.find((s) => s.offeredPerSec === rate));
    const ms = at.map(
      (s) => `${num(s?.latencyMs.p50)} / ${num(s?.latencyMs.p99)} ms, ${num(s && fleetCpu(s), 2)} CPU s`,
    );
    const d = defaults?.steps.find((s) => s.offeredPerSec === rate);
    const verdict = d ? latencyVerdict(d) + (rate === TARGETS.p99AtPerSec ? cpuVerdict(d) : '') : '';
    return [
      `whole fleet, warm, ${names} fetches and commits: p50 / p99, CPU per 1,000 rides at ${num(rate)} rides/s`,
      ms.join(' · '),
      verdict,
    ];
  });
}

/** bench/README.md's table of the comparison. */
export function batchingDetail(r: BenchResults): string[] {
  const runs = runsOf(r);
  if (runs.length === 0) return [];
  const rows = runs.flatMap(([name, fleet]) =>
    byRate(fleet.steps).map((s) => [
      `${name}: ${settings(fleet)}`,
      num(s.offeredPerSec),
      num(s.latencyMs.p50),
      num(s.latencyMs.p95),
      num(s.latencyMs.p99),
      num(s.decidedLatencyMs.p99),
      num(fleetCpu(s), 3),
      num(s.cpuSecPer1000.broker, 3),
    ]),
  );
  const header = [
    'settings (every service)',
    'offered rides/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'p99 to decided ms',
    'fleet CPU s / 1,000 rides',
    'broker CPU s / 1,000 rides',
  ];
  return [
    'Whole fleet (6 partitions, warmed first) with a commit after every batch, with the defaults (a commit at most every 200 ms), and with fetches that also gather records for up to 10 ms; fleet CPU = the five services and the broker:',
    '',
    ...table(header, rows, `l${'r'.repeat(header.length - 1)}`),
    '',
  ];
}
