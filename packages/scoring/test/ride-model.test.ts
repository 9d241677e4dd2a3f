import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultModelDir,
  defaultModelsDir,
  isFleetError,
  listModelVersions,
  MODEL_NAMES,
  modelVersionDir,
  readModelManifest,
  type RideStarted,
} from '@fleet/contract';
import { loadRideModel as loadModel, type RideModel as ModelRunner } from '../src/ride-model.js';

const base: RideStarted = {
  ride_id: 'r',
  event_time: Date.UTC(2019, 2, 20, 22, 0),
  pickup_time: Date.UTC(2019, 2, 20, 22, 0),
  pickup_zone: 'Midtown Center',
  dropoff_zone: 'Upper East Side North',
  pickup_borough: 'Manhattan',
  dropoff_borough: 'Manhattan',
  estimated_distance_miles: 2.5,
  passengers: 1,
  service_color: 'YELLOW',
  payment_method: 'CREDIT_CARD',
};
const rides: RideStarted[] = [
  base,
  { ...base, ride_id: 'far', estimated_distance_miles: 17, dropoff_zone: 'JFK Airport', dropoff_borough: 'Queens' },
  { ...base, ride_id: 'cash', payment_method: 'CASH' },
];

describe('ModelRunner', () => {
  const runners: Record<string, ModelRunner> = {};
  beforeAll(async () => {
    for (const name of MODEL_NAMES) runners[name] = await loadModel(defaultModelDir(name));
  });
  afterAll(async () => {
    await Promise.all(Object.values(runners).map((r) => r.close()));
  });

  it('exposes the card, name and version', () => {
    const { duration } = runners;
    expect(duration.name).toBe('duration');
    expect(duration.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(duration.card.target.unit).toBe('minutes');
    expect(duration.card.features).toEqual(duration.spec.names);
    expect(defaultModelsDir()).toMatch(/models$/);
  });

  it('finds a model version by the manifest, or names the versions there', () => {
    const current = readModelManifest().tip.current;
    expect(defaultModelDir('tip')).toBe(join(defaultModelsDir(), 'tip', current));
    expect(listModelVersions('tip')).toContain(current);
    let error: unknown;
    try {
      modelVersionDir('tip', '9.9.9');
    } catch (err) {
      error = err;
    }
    expect(isFleetError(error) && error.code).toBe('FLEET_MODEL_VERSION_UNKNOWN');
    expect((error as Error).message).toContain(`versions: ${listModelVersions('tip').join(', ')}`);
  });

  it('scores a batch in order, with plausible values', async () => {
    const duration = await runners.duration.predict(rides);
    const cost = await runners.cost.predict(rides);
    const tip = await runners.tip.predict(rides);
    expect(duration).toHaveLength(3);
    expect(duration[1]).toBeGreaterThan(duration[0]);
    expect(cost[1]).toBeGreaterThan(40);
    expect(tip[0]).toBeGreaterThan(0.5);
    expect(Math.abs(tip[2])).toBeLessThan(0.2); // cash tips are not recorded
    expect(await runners.tip.predict([])).toHaveLength(0);
  });

  it('scores the same rides the same way one by one and in a batch', async () => {
    const batch = await runners.cost.predict(rides);
    for (let i = 0; i < rides.length; i++) {
      expect((await runners.cost.predict([rides[i]]))[0]).toBe(batch[i]);
    }
  });

  it('rejects a feature matrix of the wrong size', async () => {
    await expect(runners.tip.predictFeatures(new Float32Array(5), 1)).rejects.toSatisfy((err) =>
      isFleetError(err, 'FLEET_INPUT_INVALID'),
    );
  });

  it('fails with FLEET_MODEL_LOAD_FAILED on a directory without a model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-empty-'));
    try {
      await expect(loadModel(dir)).rejects.toSatisfy((err) => isFleetError(err, 'FLEET_MODEL_LOAD_FAILED'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
