import { FleetError, RIDE_LIMITS, type RideCompleted } from '@fleet/contract';

/**
 * Checks a decoded `ride_completed`: an id like a ride's, finite amounts and times.
 * @throws FleetError FLEET_VALIDATION_FAILED naming the field.
 */
export function validateOutcome(o: RideCompleted): RideCompleted {
  const bad = (field: keyof RideCompleted, why: string): never => {
    throw new FleetError('FLEET_VALIDATION_FAILED', `ride_completed ${field} ${why}`, { context: { field } });
  };
  if (typeof o.ride_id !== 'string' || o.ride_id.length === 0 || o.ride_id.length > RIDE_LIMITS.maxRideIdLength)
    bad('ride_id', `is empty or longer than ${RIDE_LIMITS.maxRideIdLength} characters`);
  for (const field of ['duration_min', 'cost_usd', 'tip_usd', 'total_usd'] as const) {
    if (!Number.isFinite(o[field])) bad(field, `is ${o[field]}, not a finite number`);
  }
  for (const field of ['event_time', 'dropoff_time'] as const) {
    if (!Number.isFinite(o[field]) || o[field] < RIDE_LIMITS.minPickupTimeMs) bad(field, 'is before 2009-01-01');
  }
  return o;
}
