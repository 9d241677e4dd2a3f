import { FleetError } from '../errors.js';
import type { RideStarted } from '../records.js';
import { minuteOfDay, wallClockMs, weekday } from './clock.js';
import { BASE_FEATURE_NAMES, CATEGORICAL_FIELDS, type CategoricalField, type FeatureSpec } from './spec.js';

interface OneHotBlock {
  readonly field: CategoricalField;
  readonly start: number;
  readonly index: ReadonlyMap<string, number>;
  readonly other: number;
}

interface Plan {
  readonly width: number;
  readonly timeZone: string;
  readonly airports: ReadonlySet<string>;
  readonly blocks: readonly OneHotBlock[];
}

const BASE = BASE_FEATURE_NAMES.length;
const HOUR_ONE_HOT = BASE_FEATURE_NAMES.indexOf('hour_00');
const plans = new WeakMap<FeatureSpec, Plan>();

function planOf(spec: FeatureSpec): Plan {
  let plan = plans.get(spec);
  if (plan !== undefined) return plan;
  const blocks: OneHotBlock[] = [];
  let start = BASE;
  for (const field of CATEGORICAL_FIELDS) {
    const vocab = spec.vocabularies[field];
    blocks.push({ field, start, index: new Map(vocab.map((v, i) => [v, i])), other: vocab.length });
    start += vocab.length + 1;
  }
  plan = { width: start, timeZone: spec.timezone, airports: new Set(spec.airport_zones), blocks };
  plans.set(spec, plan);
  return plan;
}

function checkRide(ride: RideStarted, row: number): void {
  const bad = !Number.isFinite(ride.pickup_time)
    ? 'pickup_time'
    : !Number.isFinite(ride.estimated_distance_miles)
      ? 'estimated_distance_miles'
      : !Number.isFinite(ride.passengers)
        ? 'passengers'
        : undefined;
  if (bad !== undefined) {
    throw new FleetError('FLEET_INPUT_INVALID', `ride at row ${row} has a non-finite ${bad}`, {
      context: { row, field: bad, ride_id: ride.ride_id },
    });
  }
}

// Writes the BASE leading features of one ride at `o`; the order is BASE_FEATURE_NAMES.
function writeBase(out: Float32Array, o: number, ride: RideStarted, plan: Plan): void {
  const wall = wallClockMs(ride.pickup_time, plan.timeZone);
  const minute = minuteOfDay(wall);
  const hour = Math.floor(minute / 60);
  const day = weekday(wall);
  const angle = (2 * Math.PI * minute) / 1440;
  const distance = ride.estimated_distance_miles;
  const card = ride.payment_method === 'CREDIT_CARD';
  const pz = ride.pickup_zone;
  out[o] = distance;
  out[o + 1] = ride.passengers;
  out[o + 2] = hour;
  out[o + 3] = minute;
  out[o + 4] = day;
  out[o + 5] = day >= 5 ? 1 : 0;
  out[o + 6] = Math.sin(angle);
  out[o + 7] = Math.cos(angle);
  out[o + 8] = ride.service_color === 'GREEN' ? 1 : 0;
  out[o + 9] = card ? 1 : 0;
  out[o + 10] = ride.payment_method === 'CASH' ? 1 : 0;
  out[o + 11] = ride.payment_method === 'UNKNOWN' ? 1 : 0;
  out[o + 12] = card ? distance : 0;
  out[o + 13] = pz !== null && pz === ride.dropoff_zone ? 1 : 0;
  out[o + 14] = pz !== null && plan.airports.has(pz) ? 1 : 0;
  out[o + 15] = ride.dropoff_zone !== null && plan.airports.has(ride.dropoff_zone) ? 1 : 0;
  out[o + HOUR_ONE_HOT + hour] = 1;
}

/** The number of features (columns) a spec describes. */
export function featureCount(spec: FeatureSpec): number {
  return planOf(spec).width;
}

/**
 * The feature matrix of `rides`: row-major `rides.length × spec.names.length` float32,
 * exactly as `build_features` of `models/train/features.py` computes it. Time features use
 * the wall clock of `spec.timezone` at `pickup_time` (correct across DST switches). Pure;
 * allocates only the output.
 * @throws FleetError FLEET_INPUT_INVALID (with the row) on a non-finite time, distance or
 *   passenger count.
 */
export function buildFeatures(spec: FeatureSpec, rides: readonly RideStarted[]): Float32Array {
  const plan = planOf(spec);
  const out = new Float32Array(rides.length * plan.width);
  for (let row = 0; row < rides.length; row++) {
    const ride = rides[row];
    checkRide(ride, row);
    const o = row * plan.width;
    writeBase(out, o, ride, plan);
    for (const block of plan.blocks) {
      const value = ride[block.field];
      const i = value === null ? undefined : block.index.get(value);
      out[o + block.start + (i ?? block.other)] = 1;
    }
  }
  return out;
}
