import type { DispatchPriority } from '@fleet/contract';

/** The three estimates of a ride; null where a model's prediction is missing. */
export interface Estimates {
  duration_min: number | null;
  cost_usd: number | null;
  tip_usd: number | null;
}

/** The prediction interval of an estimate (10th–90th percentile), in its unit. */
export interface EstimateRange {
  lower: number;
  upper: number;
}

/**
 * The interval of an estimate from its bounds as a prediction or a model call gives them:
 * null when the version has none (or a bound is not a finite number).
 */
export function estimateRange(
  lower: number | null | undefined,
  upper: number | null | undefined,
): EstimateRange | null {
  return typeof lower === 'number' && typeof upper === 'number' && Number.isFinite(lower) && Number.isFinite(upper)
    ? { lower, upper }
    : null;
}

/** The intervals of the duration and cost estimates, where their model versions have one. */
export interface EstimateRanges {
  duration: EstimateRange | null;
  cost: EstimateRange | null;
}

/** The ranges quoted to the rider ("fare 12.50–16.00 USD", "14–19 min"); null without an interval. */
export interface QuotedRanges {
  fare_low_usd: number | null;
  fare_high_usd: number | null;
  eta_low_minutes: number | null;
  eta_high_minutes: number | null;
}

/**
 * The ranges quoted to the rider, rounded outwards like the point quotes so the quote lies
 * within its range: fare low = the cost interval's lower bound rounded down to 0.50 USD,
 * fare high = its upper bound rounded up to 0.50 (both at least 2.50); ETA low = the
 * duration interval's lower bound rounded down to whole minutes, ETA high = its upper bound
 * rounded up (both at least 1).
 */
export function quotedRanges(ranges: EstimateRanges): QuotedRanges {
  const { duration, cost } = ranges;
  return {
    fare_low_usd: cost ? Math.max(FLAG_DROP_USD, Math.floor(cost.lower * 2) / 2) : null,
    fare_high_usd: cost ? Math.max(FLAG_DROP_USD, Math.ceil(cost.upper * 2) / 2) : null,
    eta_low_minutes: duration ? Math.max(1, Math.floor(duration.lower)) : null,
    eta_high_minutes: duration ? Math.max(1, Math.ceil(duration.upper)) : null,
  };
}

/** The lowest fare quoted, the NYC flag drop. */
const FLAG_DROP_USD = 2.5;

/** Dispatch priority of a ride for the driver pool. */
export type Priority = DispatchPriority;

/** What the backend acts on. */
export interface DecisionOutcome {
  /** Upfront fare quoted to the rider: the cost estimate rounded up to the next 0.50 USD. */
  fare_quote_usd: number | null;
  /** Arrival estimate shown to the rider: the duration rounded up to whole minutes (at least 1). */
  eta_minutes: number | null;
  priority: Priority;
}

/** Thresholds of the dispatch priority, in expected driver earnings per minute (USD/min). */
export const PRIORITY_THRESHOLDS = { highUsdPerMin: 2.5, lowUsdPerMin: 1.2 } as const;

/**
 * The decision rules, deterministic and pure:
 * - fare quote = cost rounded up to the next 0.50 USD (never below 2.50, the NYC flag drop);
 * - ETA = duration rounded up to whole minutes, at least 1;
 * - priority from expected earnings per minute (cost + tip) / max(duration, 1):
 *   HIGH at or above 2.50, LOW below 1.20, NORMAL between; NORMAL when cost or duration is missing
 *   (a missing tip counts as 0).
 */
export function decide(estimates: Estimates): DecisionOutcome {
  const { duration_min: duration, cost_usd: cost, tip_usd: tip } = estimates;
  const fare = cost === null ? null : Math.max(FLAG_DROP_USD, Math.ceil(cost * 2) / 2);
  const eta = duration === null ? null : Math.max(1, Math.ceil(duration));
  return { fare_quote_usd: fare, eta_minutes: eta, priority: priorityOf(duration, cost, tip ?? 0) };
}

function priorityOf(duration: number | null, cost: number | null, tip: number): Priority {
  if (duration === null || cost === null) return 'NORMAL';
  const perMinute = (cost + Math.max(0, tip)) / Math.max(duration, 1);
  if (perMinute >= PRIORITY_THRESHOLDS.highUsdPerMin) return 'HIGH';
  if (perMinute < PRIORITY_THRESHOLDS.lowUsdPerMin) return 'LOW';
  return 'NORMAL';
}
