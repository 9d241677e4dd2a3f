import type { DriftStatus, ModelHealthRecord, RideStarted } from '@fleet/contract';
import { DRIFT_INPUTS, PREDICTION_FEATURE } from './inputs.js';
import { binCount, binOf, psi, referenceShares, type FeatureReference, type ModelReference } from './reference.js';
import { SlidingCounters } from './windows.js';

/** The counters of a version's accuracy, per time bucket. */
const PREDICTED = 0;
const ANSWERED = 1;
const MATCHED = 2;
const ABS_ERROR = 3;
const ERROR = 4;

/** How the windows are cut and drift is judged. */
export interface StatsOptions {
  /** Window lengths, ms. */
  windowsMs: readonly number[];
  /** Bucket length, ms: the step the windows slide by. */
  bucketMs: number;
  psiWarning: number;
  psiAlert: number;
  /** Fewest rows of a window for a feature's PSI. */
  minDriftRows: number;
}

interface Watched {
  reference: FeatureReference;
  expected: number[];
  counts: SlidingCounters;
}

/**
 * What the monitor knows of one model version: accuracy counters over sliding windows
 * (predicted rides, rides that got an outcome, joined predictions, their absolute and signed
 * errors) and, when its card has reference distributions, the live bins of its predictions
 * and of the main inputs.
 */
export class ModelStats {
  private readonly accuracy: SlidingCounters;
  private readonly features = new Map<string, Watched>();

  constructor(
    readonly model: string,
    readonly version: string,
    readonly reference: ModelReference | null,
    private readonly options: StatsOptions,
  ) {
    const span = Math.max(...options.windowsMs);
    this.accuracy = new SlidingCounters(5, options.bucketMs, span);
    for (const [name, ref] of Object.entries(reference?.features ?? {})) {
      if (name !== PREDICTION_FEATURE && DRIFT_INPUTS[name] === undefined) continue;
      const counts = new SlidingCounters(binCount(ref), options.bucketMs, span);
      this.features.set(name, { reference: ref, expected: referenceShares(ref), counts });
    }
  }

  /** A ride started at `timeMs`: its inputs go to the input bins. */
  ride(ride: RideStarted, timeMs: number, nowMs: number): void {
    for (const [name, w] of this.features) {
      const read = DRIFT_INPUTS[name];
      if (read) w.counts.add(timeMs, nowMs, binOf(w.reference, read(ride)));
    }
  }

  /** This version predicted `value` for a ride at `timeMs`. */
  predicted(value: number, timeMs: number, nowMs: number): void {
    this.accuracy.add(timeMs, nowMs, PREDICTED);
    const w = this.features.get(PREDICTION_FEATURE);
    if (w) w.counts.add(timeMs, nowMs, binOf(w.reference, value));
  }

  /**
   * A prediction made at `predictedAtMs` met its ride's outcome, known at `outcomeAtMs`:
   * the ride counts as answered in the window of its prediction, the error in the window of
   * the outcome.
   */
  joined(predicted: number, actual: number, predictedAtMs: number, outcomeAtMs: number, nowMs: number): void {
    this.accuracy.add(predictedAtMs, nowMs, ANSWERED);
    if (!this.accuracy.add(outcomeAtMs, nowMs, MATCHED)) return;
    this.accuracy.add(outcomeAtMs, nowMs, ABS_ERROR, Math.abs(predicted - actual));
    this.accuracy.add(outcomeAtMs, nowMs, ERROR, predicted - actual);
  }

  /** The version's health over the window of `windowMs` ending at `nowMs`; `rides` started in it. */
  health(windowMs: number, nowMs: number, rides: number): ModelHealthRecord {
    const a = this.accuracy.sum(windowMs, nowMs);
    const n = a[MATCHED];
    const drift = this.drift(windowMs, nowMs);
    return {
      model: this.model,
      model_version: this.version,
      window_sec: Math.round(windowMs / 1000),
      window_end: nowMs,
      rides,
      predictions: a[PREDICTED],
      outcomes: n,
      outcome_share: a[PREDICTED] > 0 ? Math.min(1, a[ANSWERED] / a[PREDICTED]) : null,
      mae: n > 0 ? a[ABS_ERROR] / n : null,
      bias: n > 0 ? a[ERROR] / n : null,
      ...drift,
    };
  }

  private drift(windowMs: number, nowMs: number) {
    const psiOf: Record<string, number> = {};
    const missing: Record<string, number> = {};
    for (const [name, w] of this.features) {
      const counts = w.counts.sum(windowMs, nowMs);
      const rows = counts.reduce((s, c) => s + c, 0);
      if (rows === 0) continue;
      if (name !== PREDICTION_FEATURE) missing[name] = counts[counts.length - 1] / rows;
      if (rows >= this.options.minDriftRows) psiOf[name] = psi(w.expected, counts);
    }
    const drifted = Object.entries(psiOf)
      .filter(([, v]) => v >= this.options.psiWarning)
      .sort((x, y) => y[1] - x[1])
      .map(([name]) => name);
    return {
      drift_status: this.status(psiOf),
      drifted_features: drifted,
      psi: psiOf,
      missing_share: missing,
    };
  }

  private status(psiOf: Record<string, number>): DriftStatus {
    if (this.reference === null) return 'NO_REFERENCE';
    const values = Object.values(psiOf);
    if (values.length === 0) return 'INSUFFICIENT_DATA';
    const worst = Math.max(...values);
    if (worst >= this.options.psiAlert) return 'ALERT';
    return worst >= this.options.psiWarning ? 'WARNING' : 'OK';
  }
}
