/**
 * Where a ride's time goes in the warm fleet with default settings, per service and hop, at
 * each rate of the bench's tuning stage (`tuning.fleetBatching.default` in
 * bench/results/latest.json, each step's `hops`): a table of bench/README.md.
 */
import type { HopFigure } from '@fleet/cli/launcher';
import type { BenchResults } from '../../bench/lib/report.js';
import { byRate, num } from './bench.js';
import { table } from './sections.js';

/** What each hop measures, in the order a ride meets them. */
const HOP_MEANING: ReadonlyArray<[string, string]> = [
  ['consume', 'from the record produced upstream to its batch handled here (broker, fetch wait, queueing), per record'],
  ['process', 'decode and model call (the decision service: decode and join), per batch'],
  ['produce', "from the batch's outputs made to the broker's acknowledgement of their send, per batch"],
  ['event→output', "from the ride's event time to this service's output made of it (the fleet up to here), per output"],
];

/** bench/README.md's per-hop table of the default warm fleet; empty when the run did not record hops. */
export function hopsDetail(r: BenchResults): string[] {
  const steps = byRate(r.tuning?.fleetBatching?.default?.steps ?? []).filter((s) => s.hops?.length);
  if (steps.length === 0) return [];
  const key = (f: HopFigure): string => `${f.service}\u0000${f.hop}`;
  const rows = new Map<string, HopFigure>();
  for (const s of steps) for (const f of s.hops ?? []) if (!rows.has(key(f))) rows.set(key(f), f);
  const body = [...rows.values()].map((row) => [
    row.service,
    row.hop,
    ...steps.map((s) => {
      const f = s.hops?.find((h) => key(h) === key(row));
      return f ? `${num(f.p50, 1)} / ${num(f.p99, 1)}` : '–';
    }),
  ]);
  const header = ['service', 'hop', ...steps.map((s) => `p50 / p99 ms at ${num(s.offeredPerSec)} rides/s`)];
  return [
    "Where the time goes in the same fleet with the defaults (the _default_ rows above), per service and hop, from each service's `/metrics` histograms read before and after each rate (interpolated inside buckets, as Prometheus does):",
    '',
    ...table(header, body, `ll${'r'.repeat(steps.length)}`),
    '',
    HOP_MEANING.map(([hop, meaning]) => `_${hop}_: ${meaning}`).join('; ') + '.',
    '',
  ];
}
