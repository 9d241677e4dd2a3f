import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFeatures,
  FleetError,
  loadRideCsv,
  MODEL_NAMES,
  modelVersionDir,
  type RideStarted,
} from '@fleet/contract';
import { loadJointModel, loadModel, mergeOnnxModels, type JointRunner, type ModelRunner } from '@fleet/core';
import { loadRideModel } from '../src/ride-model.js';

const TEST_RIDES = new URL('../../../models/data/test_rides.csv', import.meta.url).pathname;

async function someRides(count: number): Promise<RideStarted[]> {
  const { rows } = await loadRideCsv(TEST_RIDES);
  return rows.flatMap((r) => (r.ok ? [r.ride] : [])).slice(0, count);
}

// The first versions (no interval outputs), then the second ones of duration and cost (with them).
const VERSIONS = [
  { duration: '1.0.0', cost: '1.0.0', tip: '1.0.0' },
  { duration: '2.0.0', cost: '2.0.0', tip: '1.0.0' },
];

describe.each(VERSIONS)('loadJointModel, duration $duration, cost $cost, tip $tip', (versions) => {
  const dirs = MODEL_NAMES.map((m) => modelVersionDir(m, versions[m]));
  let joint: JointRunner;
  const apart: ModelRunner[] = [];
  beforeAll(async () => {
    joint = await loadJointModel(dirs);
    for (const dir of dirs) apart.push(await loadModel(dir));
  });
  afterAll(async () => {
    await joint.close();
    await Promise.all(apart.map((r) => r.close()));
  });

  it('scores real rides exactly as the three models apart do, in one call', async () => {
    const spec = (await loadRideModel(dirs[0])).spec;
    for (const count of [1, 7, 300]) {
      const rides = await someRides(count);
      const features = buildFeatures(spec, rides);
      const together = await joint.predictOutputs(features, rides.length);
      const separately = await Promise.all(apart.map((r) => r.predictOutputs(features, rides.length)));
      expect(together).toEqual(separately);
      expect(together[0].value).toHaveLength(count);
    }
    expect(joint.cards.map((c) => c.name)).toEqual([...MODEL_NAMES]);
    expect(joint.cards.map((c) => c.version)).toEqual(MODEL_NAMES.map((m) => versions[m]));
  });

  it('answers no rows with empty outputs and refuses features of the wrong width', async () => {
    const none = await joint.predictOutputs(new Float32Array(0), 0);
    expect(none.map((o) => o.value.length)).toEqual([0, 0, 0]);
    await expect(joint.predictOutputs(new Float32Array(5), 1)).rejects.toMatchObject({ code: 'FLEET_INPUT_INVALID' });
  });
});

describe('mergeOnnxModels', () => {
  it('refuses models that read different inputs, saying which', async () => {
    const onnx = async (name: string, version: string) =>
      readFile(`${modelVersionDir(name as 'tip', version)}/model.onnx`);
    const tip = await onnx('tip', '1.0.0');
    // The same model with its input renamed ("features" → "featureX"): another input.
    const renamed = Buffer.from(tip.toString('latin1').replaceAll('features', 'featureX'), 'latin1');
    expect(() =>
      mergeOnnxModels([
        { name: 'a', onnx: tip },
        { name: 'b', onnx: renamed },
      ]),
    ).toThrow('model "b" reads another input than "a"');
    expect(() => mergeOnnxModels([{ name: 'a', onnx: Buffer.from([0x0a, 0x05, 0x01]) }])).toThrow(/past the end/);
  });

  it('refuses two models of one name, whose names would collide', async () => {
    const tip = await readFile(`${modelVersionDir('tip', '1.0.0')}/model.onnx`);
    expect(() =>
      mergeOnnxModels([
        { name: 'tip', onnx: tip },
        { name: 'tip', onnx: tip },
      ]),
    ).toThrow('two models are named "tip"');
  });

  it('reaches loadJointModel as FLEET_MODEL_LOAD_FAILED naming the models', async () => {
    const tip = modelVersionDir('tip', '1.0.0');
    const err: unknown = await loadJointModel([tip, tip]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FleetError);
    expect(err).toMatchObject({ code: 'FLEET_MODEL_LOAD_FAILED' });
    expect((err as Error).message).toBe(
      'cannot merge models "tip", "tip": two models are named "tip": their names would collide',
    );
  });
});
