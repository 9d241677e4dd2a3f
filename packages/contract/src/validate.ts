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

/** A broken rule of the contract: the field that breaks it and why. */
export interface RideFieldProblem {
  /** The `ride_started` field, e.g. `passengers`. */
  field: keyof RideStarted;
  /** Why, starting with the field's name. */
  message: string;
}

/**
 * `t` (epoch ms) as an ISO date, or as its number where it lies past the last instant a
 * JavaScript Date holds (about 275,760 years from 1970), where `toISOString` would throw.
 */
const instantText = (t: number): string => {
  const date = new Date(t);
  return Number.isNaN(date.getTime()) ? `${t} (epoch ms)` : date.toISOString();
};

const broken = (field: keyof RideStarted, message: string): RideFieldProblem => ({ field, message });
const brokenDistance = (why: string): RideFieldProblem =>
  broken('estimated_distance_miles', `estimated_distance_miles ${why}`);

/**
 * The first rule of the contract that `ride` breaks, naming its field, or null when it is
 * valid. `now` is epoch ms. The stream (DLQ reasons) and the online service (HTTP 400s)
 * both judge rides by these rules.
 */
export function rideFieldProblem(ride: RideStarted, now = Date.now()): RideFieldProblem | null {
  const id = ride.ride_id;
  if (typeof id !== 'string' || id.length === 0) return broken('ride_id', 'ride_id is missing or empty');
  if (id.length > RIDE_LIMITS.maxRideIdLength)
    return broken('ride_id', `ride_id is ${id.length} characters, more than ${RIDE_LIMITS.maxRideIdLength}`);
  if (CONTROL.test(id)) return broken('ride_id', 'ride_id contains control characters');
  const d = ride.estimated_distance_miles;
  if (!Number.isFinite(d)) return brokenDistance(`is ${d}, not a finite number`);
  if (d < 0) return brokenDistance(`is negative (${d})`);
  if (d > RIDE_LIMITS.maxDistanceMiles) return brokenDistance(`${d} exceeds ${RIDE_LIMITS.maxDistanceMiles}`);
  if (!Number.isInteger(ride.passengers) || ride.passengers < 0 || ride.passengers > RIDE_LIMITS.maxPassengers) {
    return broken('passengers', `passengers ${ride.passengers} is outside 0-${RIDE_LIMITS.maxPassengers}`);
  }
  if (ride.service_color !== 'YELLOW' && ride.service_color !== 'GREEN')
    return broken('service_color', `service_color ${String(ride.service_color)} is unknown`);
  if (!PAYMENT_METHODS.has(ride.payment_method))
    return broken('payment_method', `payment_method ${String(ride.payment_method)} is unknown`);
  const latest = now + RIDE_LIMITS.maxFutureSkewMs;
  for (const field of ['event_time', 'pickup_time'] as const) {
    const t = ride[field];
    if (!Number.isFinite(t) || t < RIDE_LIMITS.minPickupTimeMs)
      return broken(field, `${field} ${t} is before 2009-01-01`);
    if (t > latest) return broken(field, `${field} ${instantText(t)} is more than a day in the future`);
  }
  for (const field of ['pickup_zone', 'dropoff_zone', 'pickup_borough', 'dropoff_borough'] as const) {
    const v = ride[field];
    if (v !== null && (v.length > RIDE_LIMITS.maxZoneLength || CONTROL.test(v)))
      return broken(field, `${field} is too long or has control characters`);
  }
  return null;
}

/** Why `ride` breaks the contract, or null when it is valid. `now` is epoch ms. */
export function rideProblem(ride: RideStarted, now = Date.now()): string | null {
  return rideFieldProblem(ride, now)?.message ?? null;
}

/** Throws FleetError `FLEET_VALIDATION_FAILED` (context `field`) when `ride` breaks the contract. */
export function validateRide(ride: RideStarted, now = Date.now()): RideStarted {
  const problem = rideFieldProblem(ride, now);
  if (problem) throw new FleetError('FLEET_VALIDATION_FAILED', problem.message, { context: { field: problem.field } });
  return ride;
}
