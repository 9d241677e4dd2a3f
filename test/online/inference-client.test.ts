import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFeatures, MODEL_NAMES, type ModelName } from '@fleet/contract';
import { ensureVenv } from '../../scripts/python-venv.mjs';
import { startOnline, testRides, type StartedOnline } from './helpers.js';

const HERE = new URL('.', import.meta.url).pathname;
const CLIENT_DIR = join(HERE, 'inference-client');
const VENV_DIR = join(HERE, '..', '..', '.fleet', 'venvs', 'inference-client');
/** Creating the venv and installing the client from PyPI (first run on a machine). */
const INSTALL_TIMEOUT_MS = 300_000;
const CLIENT_TIMEOUT_MS = 60_000;

interface Inferred {
  values: number[];
  model_name: string;
  model_version: string;
}

interface ClientFailure {
  status: string;
  message: string;
}

/** What check_v2.py printed: what Triton's client read from each endpoint. */
interface ClientReport {
  live: boolean;
  ready: boolean;
  server: { name: string; extensions: string[] };
  models: Record<
    string,
    {
      ready: boolean;
      version_ready: boolean;
      unknown_version_ready: boolean;
      metadata: {
        name: string;
        versions: string[];
        inputs: Array<{ name: string; datatype: string; shape: number[] }>;
      };
      binary: Inferred;
      json: Inferred;
      versioned: Inferred;
    }
  >;
  errors: { unknown_model: ClientFailure | null; wrong_shape: ClientFailure | null };
}

/**
 * The Open Inference Protocol v2 API called by a standard inference client: NVIDIA Triton's
 * Python HTTP client (tritonclient, from PyPI, in a venv of its own), as a gateway or an
 * existing inference client would call our models.
 */
describe('Open Inference Protocol v2 with a standard client (tritonclient, real HTTP, real models)', () => {
  let server: StartedOnline;
  let report: ClientReport;
  let expected: Record<ModelName, number[]>;
  const work = mkdtempSync(join(tmpdir(), 'fleet-v2-client-'));

  beforeAll(async () => {
    const python = ensureVenv(
      join(CLIENT_DIR, 'requirements.txt'),
      '.requirements.sha256',
      (line) => console.error(line),
      VENV_DIR,
    );
    server = await startOnline();
    const rides = await testRides(4, 'v2-client');
    const { spec, width } = server.online.models;
    const features = buildFeatures(spec, rides);
    const request = join(work, 'request.json');
    writeFileSync(
      request,
      JSON.stringify({ models: MODEL_NAMES, rows: rides.length, width, features: Array.from(features) }),
    );
    const entries = await Promise.all(
      MODEL_NAMES.map(async (m) => [
        m,
        Array.from(await server.online.models.byName[m].predictFeatures(features, rides.length)),
      ]),
    );
    expected = Object.fromEntries(entries) as Record<ModelName, number[]>;
    // Asynchronously: the server answers from this very process.
    const { stdout } = await promisify(execFile)(
      python,
      [join(CLIENT_DIR, 'check_v2.py'), new URL(server.url).host, request],
      { timeout: CLIENT_TIMEOUT_MS },
    );
    report = JSON.parse(stdout) as ClientReport;
  }, INSTALL_TIMEOUT_MS + CLIENT_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('reads the server live and ready, and its metadata with the binary tensor data extension', () => {
    expect(report.live).toBe(true);
    expect(report.ready).toBe(true);
    expect(report.server).toMatchObject({ name: 'fleet-online', extensions: ['binary_tensor_data'] });
  });

  it.each(MODEL_NAMES)("reads %s's metadata and readiness, by name and by version", (model) => {
    const seen = report.models[model];
    const card = server.online.models.byName[model].card;
    expect(seen.metadata).toMatchObject({
      name: model,
      versions: [card.version],
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, server.online.models.width] }],
    });
    expect([seen.ready, seen.version_ready, seen.unknown_version_ready]).toEqual([true, true, false]);
  });

  it.each(MODEL_NAMES)(
    "gets %s's own outputs for real rides, as binary and as JSON tensor data, by name and by version",
    (model) => {
      const seen = report.models[model];
      const version = server.online.models.byName[model].version;
      for (const answer of [seen.binary, seen.json, seen.versioned]) {
        expect(answer).toEqual({ values: expected[model], model_name: model, model_version: version });
      }
    },
  );

  it("gets the protocol's errors: 404 for an unknown model, 400 naming the field for a wrong shape", () => {
    expect(report.errors.unknown_model).toEqual({ status: '404', message: expect.stringContaining('no-such-model') });
    expect(report.errors.wrong_shape).toEqual({ status: '400', message: expect.stringContaining('inputs[0].shape') });
  });
});
