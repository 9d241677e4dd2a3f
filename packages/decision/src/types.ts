import { MODEL_NAMES, type ModelName, type PredictionRecord, type RideDecisionRecord } from '@fleet/contract';

/** The models whose predictions a decision joins (the contract's model names). */
export const MODELS = MODEL_NAMES;

export type { ModelName };

/** A `prediction` record, as the decision service reads it. */
export type Prediction = PredictionRecord;

/** A `ride_decision` record, as the decision service writes it. */
export type RideDecision = RideDecisionRecord;
