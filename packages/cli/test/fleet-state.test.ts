// Regression test: `fleet up` wrote .fleet/run/stack.json, with the SHA-256 of the fleet's
// passwords, readable by every user of the machine (0644 under the usual umask).
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordEnv } from '../src/config.js';
import { loadStack, saveStack, type StackRecord } from '../src/procs/fleet-state.js';

// Before the CLI's configuration is first read (lazily, by saveStack).
const stateDir = mkdtempSync(join(tmpdir(), 'fleet-state-'));
process.env.FLEET_STATE_DIR = stateDir;

const record: StackRecord = {
  brokers: '127.0.0.1:9092',
  registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
  startedByUp: [],
  env: recordEnv({ KAFKA_SASL_PASSWORD: 'hunter2', SCHEMA_REGISTRY_PASSWORD: 'hunter3' }),
};

describe("fleet up's record of the stack", () => {
  it('is readable by its owner only (it holds the hashes of the passwords), even over an older record', () => {
    const run = join(stateDir, 'run');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'stack.json'), '{}', { mode: 0o644 });
    saveStack(record);
    const file = join(run, 'stack.json');
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect(loadStack()).toEqual(record);
    expect(Object.keys(record.env?.secrets ?? {})).toEqual(['KAFKA_SASL_PASSWORD', 'SCHEMA_REGISTRY_PASSWORD']);
    expect(readdirSync(run), 'no temporary file left').toEqual(['stack.json']);
  });
});
