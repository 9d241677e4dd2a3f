import type { PredictionRecord, RideDecisionRecord } from '@fleet/core';

/** The models whose predictions a decision joins. */
export const MODELS = ['duration', 'cost', 'tip'] as const;

/** One of {@link MODELS}. */
export type ModelName = (typeof MODELS)[number];

/** A `prediction` record, as the decision service reads it. */
export type Prediction = PredictionRecord;

/** A `ride_decision` record, as the decision service writes it. */
export type RideDecision = RideDecisionRecord;
