import { RIDES_CSV_TIMEZONE, wallClockMs, type RideStarted } from '@fleet/contract';
import type { FeatureValue } from './reference.js';

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Hour of the New York wall clock at `epochMs`, as the training pipeline reads the pickup hour. */
export function pickupHour(epochMs: number): number {
  const wall = wallClockMs(epochMs, RIDES_CSV_TIMEZONE);
  return Math.floor((((wall % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / MS_PER_HOUR);
}

/**
 * The main inputs watched for drift, read from a `ride_started` the way
 * `models/train/reference.py` reads them from the training rides (same names).
 */
export const DRIFT_INPUTS: Readonly<Record<string, (ride: RideStarted) => FeatureValue>> = {
  estimated_distance_miles: (r) => r.estimated_distance_miles,
  pickup_hour: (r) => pickupHour(r.pickup_time),
  passengers: (r) => r.passengers,
  pickup_borough: (r) => r.pickup_borough,
  dropoff_borough: (r) => r.dropoff_borough,
  payment_method: (r) => r.payment_method,
};

/** The name of the prediction's own distribution in a card's reference. */
export const PREDICTION_FEATURE = 'prediction';
