import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultModelDir, defaultModelsDir, FleetError } from '@fleet/contract';
import { loadRideModel as loadModel } from '../src/ride-model.js';

// A copy of models/duration/<current> (and the feature spec two levels up) in a temp dir.
async function copyModel(): Promise<{ root: string; dir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'fleet-model-'));
  const dir = join(root, 'duration', 'current');
  await cp(defaultModelDir('duration'), dir, { recursive: true });
  await cp(join(defaultModelsDir(), 'features.json'), join(root, 'features.json'));
  return { root, dir };
}

async function flipByte(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at] ^= 0xff;
  await writeFile(path, bytes);
}

async function rejection(promise: Promise<unknown>): Promise<FleetError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FleetError);
    return err as FleetError;
  }
  throw new Error('expected loadModel to reject');
}

describe('loadModel checksum verification', () => {
  let root = '';
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('loads the untouched copy', async () => {
    const copy = await copyModel();
    root = copy.root;
    const runner = await loadModel(copy.dir);
    expect(runner.name).toBe('duration');
    await runner.close();
  });

  it('refuses a model.onnx with one flipped byte, naming the file and both hashes', async () => {
    const copy = await copyModel();
    root = copy.root;
    const card = JSON.parse(await readFile(join(copy.dir, 'model.json'), 'utf8')) as { sha256: string };
    const onnx = join(copy.dir, 'model.onnx');
    await flipByte(onnx, 4096);
    const err = await rejection(loadModel(copy.dir));
    expect(err.code).toBe('FLEET_MODEL_CHECKSUM_MISMATCH');
    expect(err.message).toContain(onnx);
    expect(err.message).toContain(card.sha256);
    expect(err.message).toMatch(/is [0-9a-f]{64}/);
    expect(err.message).toContain('npm run train');
    expect(err.context).toMatchObject({ model: 'duration', file: onnx, expected: card.sha256 });
  });

  it('refuses a feature spec that differs from the one the card was trained with', async () => {
    const copy = await copyModel();
    root = copy.root;
    const spec = join(copy.root, 'features.json');
    await writeFile(spec, (await readFile(spec, 'utf8')).replace('"timezone"', ' "timezone"'));
    const err = await rejection(loadModel(copy.dir));
    expect(err.code).toBe('FLEET_MODEL_CHECKSUM_MISMATCH');
    expect(err.message).toContain(spec);
  });
});
