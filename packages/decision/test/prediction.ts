import type { Prediction } from '../src/types.js';

/** A prediction of `model` for ride `ride_id` as a model service writes it; `patch` changes any field. */
export const pred = (ride_id: string, model: string, value = 10, patch: Partial<Prediction> = {}): Prediction => ({
  ride_id,
  model,
  model_version: '1.0.0',
  value,
  unit: model === 'duration' ? 'minutes' : 'USD',
  event_time: 1000,
  predicted_at: 1001,
  lower: null,
  upper: null,
  shadow: false,
  ...patch,
});
