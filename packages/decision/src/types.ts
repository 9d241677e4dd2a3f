import type { Priority } from './rules.js';

/** The models whose predictions a decision joins. */
export const MODELS = ['duration', 'cost', 'tip'] as const;

/** One of {@link MODELS}. */
export type ModelName = (typeof MODELS)[number];

/** A `prediction` record (schemas/prediction.avsc). */
export interface Prediction {
  ride_id: string;
  model: string;
  model_version: string;
  value: number;
  unit: string;
  event_time: number;
  predicted_at: number;
}

/** A `ride_decision` record (schemas/ride_decision.avsc). */
export interface RideDecision {
  ride_id: string;
  duration_min: number | null;
  cost_usd: number | null;
  tip_usd: number | null;
  complete: boolean;
  missing_models: string[];
  fare_quote_usd: number | null;
  eta_minutes: number | null;
  priority: Priority;
  model_versions: Record<string, string>;
  event_time: number;
  decided_at: number;
}
