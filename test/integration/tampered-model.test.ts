import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultModelDir } from '@fleet/contract';
import { copyOfModels, stack } from '../helpers.js';

describe('a tampered model', () => {
  it('stops the service at start-up with a message naming the file and what to do', () => {
    // A copy of the models folder (the runner checks features.json beside the model dir too).
    const models = copyOfModels();
    const dir = defaultModelDir('duration', models);
    const onnx = join(dir, 'model.onnx');
    const bytes = readFileSync(onnx);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(onnx, bytes);
    expect(defaultModelDir('duration')).not.toBe(dir);

    const run = spawnSync(process.execPath, ['--import', 'tsx', 'packages/duration/src/main.ts'], {
      cwd: new URL('../../', import.meta.url).pathname,
      env: {
        ...process.env,
        MODEL_DIR: dir,
        KAFKA_BROKERS: stack().brokers.join(','),
        SCHEMA_REGISTRY_URL: stack().registryUrl,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).not.toBe(0);
    const output = `${run.stdout}${run.stderr}`;
    expect(output).toContain('FLEET_MODEL_CHECKSUM_MISMATCH');
    expect(output).toContain(onnx);
    expect(output).toMatch(/restore|npm run train/);
  });
});
