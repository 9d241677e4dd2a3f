import type { RideOutcome } from '@fleet/contract';
import { quantile } from '@fleet/core';
import type { ReceivedDecision } from './listener.js';

/** A ride the replay sent: what really happened on it, and which real ride it copies. */
export interface SentOutcome {
  outcome: RideOutcome;
  /** Index of the real ride it was made from (a replay may send one real ride many times). */
  source: number;
}

/** Latency percentiles of a run, ms. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function percentiles(values: readonly number[]): Percentiles {
  return {
    p50: round(quantile(values, 0.5), 1),
    p95: round(quantile(values, 0.95), 1),
    p99: round(quantile(values, 0.99), 1),
    max: round(quantile(values, 1), 1),
  };
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
  /** Ride event → decision seen by the backend's listener (what a rider waits for). */
  latencyMs: Percentiles;
  /** Ride event → decided (`decided_at − event_time`): the fleet's own latency, without the listener. */
  fleetLatencyMs: Percentiles;
  /**
   * Mean absolute error of the fleet's estimates against the real rides, each distinct
   * real ride counted once (its first decided copy).
   */
  mae: { duration_min: number; cost_usd: number; tip_usd: number };
  /** Distinct real rides the MAE covers. */
  maeRides: number;
  elapsedSec: number;
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
  sent: ReadonlyMap<string, SentOutcome>,
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
  const bySource = new Map<number, [ReceivedDecision, RideOutcome]>();
  for (const d of unique) {
    const { source, outcome } = sent.get(d.ride_id)!;
    if (!bySource.has(source)) bySource.set(source, [d, outcome]);
  }
  const distinct = [...bySource.values()];
  const pairs = (pick: (d: ReceivedDecision) => number | null, actual: (a: RideOutcome) => number) =>
    distinct.map(([d, outcome]): [number | null, number] => [pick(d), actual(outcome)]);
  return {
    ridesSent: sent.size,
    decisionsReceived: unique.length,
    complete: unique.filter((d) => d.complete).length,
    degraded: unique.filter((d) => !d.complete).length,
    undecided: sent.size - unique.length,
    duplicateDecisions: duplicates,
    dlqRecords,
    latencyMs: percentiles(latencies),
    fleetLatencyMs: percentiles(unique.map((d) => d.decided_at - d.event_time)),
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
    maeRides: distinct.length,
    elapsedSec: round(elapsedSec, 1),
  };
}

function formatPercentiles(p: Percentiles): string {
  return `p50 ${p.p50}  p95 ${p.p95}  p99 ${p.p99}  max ${p.max}`;
}

/** The summary as the demo prints it for people. */
export function formatSummary(s: RunSummary): string {
  return [
    `rides sent          ${s.ridesSent}`,
    `decisions received  ${s.decisionsReceived} (complete ${s.complete}, degraded ${s.degraded}, undecided ${s.undecided}, duplicates ${s.duplicateDecisions})`,
    `dead-letter records ${s.dlqRecords}`,
    `ride→decided ms     ${formatPercentiles(s.fleetLatencyMs)}   (the fleet: decided_at − event_time)`,
    `ride→seen ms        ${formatPercentiles(s.latencyMs)}   (+ the backend's listener)`,
    `MAE vs real rides   duration ${s.mae.duration_min} min · cost ${s.mae.cost_usd} USD · tip ${s.mae.tip_usd} USD (${s.maeRides} distinct rides)`,
    `elapsed             ${s.elapsedSec} s`,
  ].join('\n');
}
