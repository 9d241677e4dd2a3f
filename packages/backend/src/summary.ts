import type { ReceivedDecision } from './listener.js';

/** What actually happened on a real ride (from the dataset). */
export interface ActualOutcome {
  duration_min: number;
  cost_usd: number;
  tip_usd: number;
}

/** The end-of-run figures of a replay. */
export interface RunSummary {
  ridesSent: number;
  decisionsReceived: number;
  complete: number;
  degraded: number;
  /** Rides sent without a decision. */
  undecided: number;
  /** Rides with more than one decision received. */
  duplicateDecisions: number;
  dlqRecords: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Mean absolute error of the fleet's estimates against the real rides. */
  mae: { duration_min: number; cost_usd: number; tip_usd: number };
  elapsedSec: number;
}

/** The `q` quantile (0..1) of `values`, nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Mean absolute error over the pairs whose estimate is present; NaN when none is. */
export function meanAbsoluteError(pairs: ReadonlyArray<[number | null, number]>): number {
  const present = pairs.filter((p): p is [number, number] => p[0] !== null);
  if (present.length === 0) return Number.NaN;
  return present.reduce((sum, [estimate, actual]) => sum + Math.abs(estimate - actual), 0) / present.length;
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Summarizes a run: `sent` maps each ride id to its real outcome, `decisions` are all
 * decisions received for those rides (duplicates included).
 */
export function summarize(
  sent: ReadonlyMap<string, ActualOutcome>,
  decisions: readonly ReceivedDecision[],
  dlqRecords: number,
  elapsedSec: number,
): RunSummary {
  const first = new Map<string, ReceivedDecision>();
  let duplicates = 0;
  for (const d of decisions) {
    if (!sent.has(d.ride_id)) continue;
    if (first.has(d.ride_id)) duplicates++;
    else first.set(d.ride_id, d);
  }
  const unique = [...first.values()];
  const latencies = unique.map((d) => d.latency_ms);
  const pairs = (pick: (d: ReceivedDecision) => number | null, actual: (a: ActualOutcome) => number) =>
    unique.map((d): [number | null, number] => [pick(d), actual(sent.get(d.ride_id)!)]);
  return {
    ridesSent: sent.size,
    decisionsReceived: unique.length,
    complete: unique.filter((d) => d.complete).length,
    degraded: unique.filter((d) => !d.complete).length,
    undecided: sent.size - unique.length,
    duplicateDecisions: duplicates,
    dlqRecords,
    latencyMs: {
      p50: round(quantile(latencies, 0.5), 1),
      p95: round(quantile(latencies, 0.95), 1),
      p99: round(quantile(latencies, 0.99), 1),
      max: round(quantile(latencies, 1), 1),
    },
    mae: {
      duration_min: round(
        meanAbsoluteError(
          pairs(
            (d) => d.duration_min,
            (a) => a.duration_min,
          ),
        ),
      ),
      cost_usd: round(
        meanAbsoluteError(
          pairs(
            (d) => d.cost_usd,
            (a) => a.cost_usd,
          ),
        ),
      ),
      tip_usd: round(
        meanAbsoluteError(
          pairs(
            (d) => d.tip_usd,
            (a) => a.tip_usd,
          ),
        ),
      ),
    },
    elapsedSec: round(elapsedSec, 1),
  };
}

/** The summary as the demo prints it for people. */
export function formatSummary(s: RunSummary): string {
  return [
    `rides sent          ${s.ridesSent}`,
    `decisions received  ${s.decisionsReceived} (complete ${s.complete}, degraded ${s.degraded}, undecided ${s.undecided}, duplicates ${s.duplicateDecisions})`,
    `dead-letter records ${s.dlqRecords}`,
    `ride→decision ms    p50 ${s.latencyMs.p50}  p95 ${s.latencyMs.p95}  p99 ${s.latencyMs.p99}  max ${s.latencyMs.max}`,
    `MAE vs real rides   duration ${s.mae.duration_min} min · cost ${s.mae.cost_usd} USD · tip ${s.mae.tip_usd} USD`,
    `elapsed             ${s.elapsedSec} s`,
  ].join('\n');
}
