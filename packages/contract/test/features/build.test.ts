import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isFleetError } from '../../src/errors.js';
import { buildFeatures, featureCount } from '../../src/features/build.js';
import { loadFeatureSpec, parseFeatureSpec, type FeatureSpec } from '../../src/features/spec.js';
import { defaultModelsDir } from '../../src/paths.js';
import type { RideStarted } from '../../src/records.js';

const ride: RideStarted = {
  ride_id: 'r1',
  event_time: Date.UTC(2019, 2, 15, 16, 30),
  pickup_time: Date.UTC(2019, 2, 15, 16, 30), // Friday 12:30 in New York
  pickup_zone: 'JFK Airport',
  dropoff_zone: 'Atlantis',
  pickup_borough: 'Queens',
  dropoff_borough: null,
  estimated_distance_miles: 17.3,
  passengers: 2,
  service_color: 'GREEN',
  payment_method: 'CREDIT_CARD',
};

describe('buildFeatures', () => {
  let spec: FeatureSpec;
  const value = (features: Float32Array, name: string, row = 0) =>
    features[row * spec.names.length + spec.names.indexOf(name)];

  beforeAll(async () => {
    spec = await loadFeatureSpec(join(defaultModelsDir(), 'features.json'));
  });

  it('lays out one row per ride, spec.names wide', () => {
    const features = buildFeatures(spec, [ride, ride]);
    expect(featureCount(spec)).toBe(spec.names.length);
    expect(features).toHaveLength(2 * spec.names.length);
    expect(buildFeatures(spec, [])).toHaveLength(0);
  });

  it('computes time, payment, airport and one-hot features', () => {
    const f = buildFeatures(spec, [ride]);
    expect(value(f, 'distance_miles')).toBe(Math.fround(17.3));
    expect(value(f, 'card_distance_miles')).toBe(Math.fround(17.3));
    expect(value(f, 'pickup_hour')).toBe(12);
    expect(value(f, 'pickup_minute_of_day')).toBe(750);
    expect(value(f, 'pickup_weekday')).toBe(4);
    expect(value(f, 'hour_12')).toBe(1);
    expect(value(f, 'is_green')).toBe(1);
    expect(value(f, 'pickup_airport')).toBe(1);
    expect(value(f, 'dropoff_airport')).toBe(0);
    expect(value(f, 'pickup_zone=JFK Airport')).toBe(1);
    expect(value(f, `dropoff_zone=${spec.other_bucket}`)).toBe(1); // unknown name
    expect(value(f, `dropoff_borough=${spec.other_bucket}`)).toBe(1); // null
    const oneHots = ['pickup_zone=', 'dropoff_zone=', 'pickup_borough=', 'dropoff_borough=', 'hour_'];
    for (const prefix of oneHots) {
      const sum = spec.names.reduce((s, n, i) => s + (n.startsWith(prefix) ? f[i] : 0), 0);
      expect(sum, prefix).toBe(1);
    }
  });

  it('rejects a non-finite distance with the row index', () => {
    const bad = { ...ride, estimated_distance_miles: Number.NaN };
    try {
      buildFeatures(spec, [ride, bad]);
      expect.fail('expected a throw');
    } catch (err) {
      expect(isFleetError(err, 'FLEET_INPUT_INVALID')).toBe(true);
      expect((err as Error).message).toContain('row 1');
    }
  });

  it('refuses a spec whose names do not match its vocabularies', () => {
    const broken = { ...spec, names: spec.names.slice(0, -1) };
    expect(() => parseFeatureSpec(broken)).toThrow(/feature \d+/);
    expect(() => parseFeatureSpec({ ...spec, spec_version: 2 })).toThrow(/spec_version/);
  });
});
