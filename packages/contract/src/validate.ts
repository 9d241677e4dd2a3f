import { FleetError } from './errors.js';
import type { RideStarted } from './records.js';

/** Bounds a `ride_started` must respect; beyond them a record goes to the DLQ. */
export const RIDE_LIMITS = {
  maxRideIdLength: 128,
  maxDistanceMiles: 200,
  maxPassengers: 9,
  /** Earliest plausible pickup: 2009-01-01, when the TLC trip records begin. */
  minPickupTimeMs: Date.UTC(2009, 0, 1),
  /** How far in the future an event or pickup time may lie (clock skew). */
  maxFutureSkewMs: 24 * 3600 * 1000,
  maxZoneLength: 100,
} as const;

const PAYMENT_METHODS = new Set<string>(['CREDIT_CARD', 'CASH', 'UNKNOWN']);

// Control characters (C0, DEL, C1) in a ride_id would end up in logs and headers.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `ride` breaks the contract, or null when it is valid. `now` is epoch ms. */
export function rideProblem(ride: RideStarted, now = Date.now()): string | null {
  const id = ride.ride_id;
  if (typeof id !== 'string' || id.length === 0) return 'ride_id is missing or empty';
  if (id.length > RIDE_LIMITS.maxRideIdLength)
    return `ride_id is ${id.length} characters, more than ${RIDE_LIMITS.maxRideIdLength}`;
  if (CONTROL.test(id)) return 'ride_id contains control characters';
  const d = ride.estimated_distance_miles;
  if (!Number.isFinite(d)) return `estimated_distance_miles is ${d}, not a finite number`;
  if (d < 0) return `estimated_distance_miles is negative (${d})`;
  if (d > RIDE_LIMITS.maxDistanceMiles) return `estimated_distance_miles ${d} exceeds ${RIDE_LIMITS.maxDistanceMiles}`;
  if (!Number.isInteger(ride.passengers) || ride.passengers < 0 || ride.passengers > RIDE_LIMITS.maxPassengers) {
    return `passengers ${ride.passengers} is outside 0-${RIDE_LIMITS.maxPassengers}`;
  }
  if (ride.service_color !== 'YELLOW' && ride.service_color !== 'GREEN')
    return `service_color ${String(ride.service_color)} is unknown`;
  if (!PAYMENT_METHODS.has(ride.payment_method)) return `payment_method ${String(ride.payment_method)} is unknown`;
  const latest = now + RIDE_LIMITS.maxFutureSkewMs;
  for (const field of ['event_time', 'pickup_time'] as const) {
    const t = ride[field];
    if (!Number.isFinite(t) || t < RIDE_LIMITS.minPickupTimeMs) return `${field} ${t} is before 2009-01-01`;
    if (t > latest) return `${field} ${new Date(t).toISOString()} is more than a day in the future`;
  }
  for (const field of ['pickup_zone', 'dropoff_zone', 'pickup_borough', 'dropoff_borough'] as const) {
    const v = ride[field];
    if (v !== null && (v.length > RIDE_LIMITS.maxZoneLength || CONTROL.test(v)))
      return `${field} is too long or has control characters`;
  }
  return null;
}

/** Throws FleetError `FLEET_VALIDATION_FAILED` when `ride` breaks the contract. */
export function validateRide(ride: RideStarted, now = Date.now()): RideStarted {
  const problem = rideProblem(ride, now);
  if (problem) throw new FleetError('FLEET_VALIDATION_FAILED', problem);
  return ride;
}
