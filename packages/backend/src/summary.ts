import type { DriftStatus } from '@fleet/contract';
import { quantile } from '@fleet/core';
import type { ReceivedDecision } from './listener.js';

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
   * The same by time into the run (the rides' event times, in {@link RUN_WINDOWS} equal
   * windows): a cold start shows in the first ones. Absent in runs recorded before it.
   */
  fleetLatencyByWindow?: LatencyWindow[];
  elapsedSec: number;
  /** Live accuracy and drift as the monitor computed them; absent when no monitor answered. */
  monitor?: MonitorSummary;
}

/** The fleet's latency over the rides of one stretch of a run. */
export interface LatencyWindow {
  /** Start and end of the stretch, seconds after the first ride's event time. */
  fromSec: number;
  toSec: number;
  rides: number;
  p50: number;
  p99: number;
}

/** Windows the fleet's latency is split into over a run. */
export const RUN_WINDOWS = 5;

/**
 * `decided_at − event_time` of each decided ride, in {@link RUN_WINDOWS} windows of whole
 * seconds (at least one) from the first ride's event time; the last window also takes the
 * rides past its end (a replay runs a few ms over its nominal length), and a window without
 * rides is left out.
 */
export function latencyByWindow(
  decisions: ReadonlyArray<Pick<ReceivedDecision, 'event_time' | 'decided_at'>>,
): LatencyWindow[] {
  if (decisions.length === 0) return [];
  // A loop, not Math.min(...): a long run has more rides than a call takes arguments.
  let start = Infinity;
  let end = -Infinity;
  for (const { event_time } of decisions) {
    start = Math.min(start, event_time);
    end = Math.max(end, event_time);
  }
  const widthSec = Math.max(1, Math.round((end - start) / 1000 / RUN_WINDOWS));
  const buckets: number[][] = [];
  for (const d of decisions) {
    const i = Math.min(Math.floor((d.event_time - start) / 1000 / widthSec), RUN_WINDOWS - 1);
    (buckets[i] ??= []).push(d.decided_at - d.event_time);
  }
  return buckets.flatMap((values, i) => {
    if (values === undefined) return [];
    const { p50, p99 } = percentiles(values);
    return [{ fromSec: i * widthSec, toSec: (i + 1) * widthSec, rides: values.length, p50, p99 }];
  });
}

/** One model version's figures over one window, as the monitor's `/metrics` gives them. */
export interface ModelFigures {
  model: string;
  version: string;
  /** Mean absolute error of the predictions joined with their ride's outcome; null without any. */
  mae: number | null;
  /** Mean signed error (prediction − actual). */
  bias: number | null;
  /** Predictions joined with an outcome. */
  outcomes: number;
  predictions: number;
  /** Share of the predicted rides that got an outcome. */
  outcomeShare: number | null;
  drift: DriftStatus;
  /** PSI per feature (the prediction and the main inputs). */
  psi: Record<string, number>;
}

/** What the monitor said at the end of a run. */
export interface MonitorSummary {
  /** Outcomes the run published (ride_completed). */
  outcomesPublished: number;
  /** The window of the accuracy figures (the longest), e.g. `15m`. */
  accuracyWindow: string;
  /** The window of the drift figures (the shortest), e.g. `1m`. */
  driftWindow: string;
  accuracy: ModelFigures[];
  drift: ModelFigures[];
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Summarizes a run: `sent` holds the ids of the rides sent, `decisions` are all decisions
 * received for those rides (duplicates included). The accuracy is the monitor's, added by
 * the caller: the fleet learns what happened on a ride from its outcome, as in production.
 */
export function summarize(
  sent: ReadonlySet<string>,
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
    fleetLatencyByWindow: latencyByWindow(unique),
    elapsedSec: round(elapsedSec, 1),
  };
}

function formatPercentiles(p: Percentiles): string {
  // A run without a decision has no percentile: a dash, not NaN.
  const ms = (x: number): string => (Number.isFinite(x) ? String(x) : '-');
  return `p50 ${ms(p.p50)}  p95 ${ms(p.p95)}  p99 ${ms(p.p99)}  max ${ms(p.max)}`;
}

function formatWindows(windows: readonly LatencyWindow[]): string {
  return windows.map((w) => `${w.fromSec}–${w.toSec} s ${w.p50}/${w.p99}`).join(' · ');
}

/** Units of the models' estimates, as the summary prints them. */
const UNITS: Readonly<Record<string, string>> = { duration: 'min', cost: 'USD', tip: 'USD' };

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${round(x)}`;
const statusOrder: DriftStatus[] = ['ALERT', 'WARNING', 'OK', 'INSUFFICIENT_DATA', 'NO_REFERENCE'];

/** The monitor's lines of the summary: accuracy over the longest window, drift over the shortest. */
export function formatMonitor(m: MonitorSummary | undefined): string[] {
  if (!m) return ['monitor             no figures in this run'];
  const each = (pick: (f: ModelFigures) => string) => m.accuracy.map((f) => `${f.model} ${f.version} ${pick(f)}`);
  const unit = (f: ModelFigures) => UNITS[f.model] ?? '';
  const joined = [...new Set(m.accuracy.map((f) => f.outcomes))].join('/');
  const worst = statusOrder.find((s) => m.drift.some((f) => f.drift === s)) ?? 'NO_REFERENCE';
  // An input's PSI is the same for every model trained on the same rides: listed once, with its models.
  const byValue = new Map<string, string[]>();
  for (const f of m.drift) {
    for (const [feature, psi] of Object.entries(f.psi)) {
      const key = `${feature} ${round(psi, 3)}`;
      byValue.set(key, [...(byValue.get(key) ?? []), f.model]);
    }
  }
  const largest = [...byValue]
    .sort((a, b) => Number(b[0].split(' ')[1]) - Number(a[0].split(' ')[1]))
    .slice(0, 4)
    .map(([key, models]) => `${key} (${models.join(', ')})`);
  return [
    `MAE (monitor, ${m.accuracyWindow})   ${each((f) => `${f.mae === null ? '-' : round(f.mae)} ${unit(f)}`).join(' · ')} (${joined} of ${m.outcomesPublished} outcomes joined)`,
    `bias (monitor, ${m.accuracyWindow})  ${each((f) => `${f.bias === null ? '-' : signed(f.bias)} ${unit(f)}`).join(' · ')}   (prediction − actual)`,
    `drift (monitor, ${m.driftWindow})  ${worst}${largest.length > 0 ? `, largest PSI: ${largest.join(' · ')}` : ''}`,
  ];
}

/** The summary as the demo prints it for people. */
export function formatSummary(s: RunSummary): string {
  return [
    `rides sent          ${s.ridesSent}`,
    `decisions received  ${s.decisionsReceived} (complete ${s.complete}, degraded ${s.degraded}, undecided ${s.undecided}, duplicates ${s.duplicateDecisions})`,
    `dead-letter records ${s.dlqRecords}`,
    `ride→decided ms     ${formatPercentiles(s.fleetLatencyMs)}   (the fleet: decided_at − event_time)`,
    ...(s.fleetLatencyByWindow?.length
      ? [`  over the run      ${formatWindows(s.fleetLatencyByWindow)}   (p50/p99 by the rides' event time)`]
      : []),
    `ride→seen ms        ${formatPercentiles(s.latencyMs)}   (+ the backend's listener)`,
    ...formatMonitor(s.monitor),
    `elapsed             ${s.elapsedSec} s`,
  ].join('\n');
}
