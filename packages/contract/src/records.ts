/** Taxi service of a ride, as in the `ride_started` schema. */
export type ServiceColor = 'YELLOW' | 'GREEN';

/** Payment method chosen at pickup, as in the `ride_started` schema. */
export type PaymentMethod = 'CREDIT_CARD' | 'CASH' | 'UNKNOWN';

// The wire records of the fleet's topics, as decoded from Avro (`schemas/*.avsc`).

/**
 * A `ride_started` event as decoded from Avro (`schemas/ride_started.avsc`): only what the
 * backend knows when a ride starts. Timestamps are epoch milliseconds (UTC).
 */
export interface RideStarted {
  ride_id: string;
  event_time: number;
  pickup_time: number;
  pickup_zone: string | null;
  dropoff_zone: string | null;
  pickup_borough: string | null;
  dropoff_borough: string | null;
  estimated_distance_miles: number;
  passengers: number;
  service_color: ServiceColor;
  payment_method: PaymentMethod;
}

/** A `prediction` record (`schemas/prediction.avsc`): one model's estimate for one ride. */
export interface PredictionRecord {
  ride_id: string;
  model: string;
  model_version: string;
  value: number;
  unit: string;
  event_time: number;
  predicted_at: number;
  /** Prediction interval (10th–90th percentile), in `unit`; null for a version without one. */
  lower: number | null;
  upper: number | null;
  /** A shadow version's prediction: the decision ignores it, the monitor compares it. */
  shadow: boolean;
}

/** Dispatch priority of a decision, as in the `ride_decision` schema. */
export type DispatchPriority = 'HIGH' | 'NORMAL' | 'LOW';

/** A `ride_decision` record (`schemas/ride_decision.avsc`): the one decision for a ride. */
export interface RideDecisionRecord {
  ride_id: string;
  duration_min: number | null;
  cost_usd: number | null;
  tip_usd: number | null;
  complete: boolean;
  missing_models: string[];
  fare_quote_usd: number | null;
  eta_minutes: number | null;
  priority: DispatchPriority;
  model_versions: Record<string, string>;
  event_time: number;
  decided_at: number;
  /** Fare range (rounded to 0.50 USD) and trip-time range (whole minutes); null without an interval. */
  fare_low_usd: number | null;
  fare_high_usd: number | null;
  eta_low_minutes: number | null;
  eta_high_minutes: number | null;
}

/**
 * What actually happened on a ride, in the units of the three model targets: the one
 * outcome type (the rides CSV, the demo summary and `fleet predict` all use it).
 */
export interface RideOutcome {
  /** Minutes from pickup to dropoff. */
  duration_min: number;
  /** USD charged before tip (`total - tip`), rounded to cents. */
  cost_usd: number;
  /** USD. */
  tip_usd: number;
  /** When the ride ended, epoch ms on the clock of its pickup time (the rides CSV has it). */
  dropoff_time?: number;
  /** USD charged, tip included (the rides CSV has it). */
  total_usd?: number;
}

/**
 * A `ride_completed` record (`schemas/ride_completed.avsc`): what actually happened on a
 * ride, published by the backend when the meter stops. Timestamps are epoch ms (UTC).
 */
export interface RideCompleted {
  ride_id: string;
  /** When the backend emitted it (the meter stopped). */
  event_time: number;
  /** When the ride ended, on the clock of the ride's `pickup_time`. */
  dropoff_time: number;
  duration_min: number;
  cost_usd: number;
  tip_usd: number;
  total_usd: number;
}

/** Drift status of a model over a window, as in the `model_health` schema. */
export type DriftStatus = 'OK' | 'WARNING' | 'ALERT' | 'INSUFFICIENT_DATA' | 'NO_REFERENCE';

/**
 * A `model_health` record (`schemas/model_health.avsc`): live accuracy and drift of one
 * model version over one sliding window, as the monitor computed them.
 */
export interface ModelHealthRecord {
  model: string;
  model_version: string;
  window_sec: number;
  window_end: number;
  rides: number;
  predictions: number;
  outcomes: number;
  outcome_share: number | null;
  mae: number | null;
  bias: number | null;
  drift_status: DriftStatus;
  drifted_features: string[];
  psi: Record<string, number>;
  missing_share: Record<string, number>;
}
