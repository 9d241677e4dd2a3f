import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFeatures, MODEL_NAMES, type RideStarted } from '@fleet/contract';
import { get, post, startOnline, testRides, type StartedOnline } from './helpers.js';

/**
 * The Open Inference Protocol v2 REST API as its specification gives the shapes
 * (kserve/open-inference-protocol, specification/protocol/inference_rest.md), and Triton's
 * binary tensor data extension.
 */
describe('Open Inference Protocol v2 (real HTTP, real models)', () => {
  let server: StartedOnline;
  let rides: RideStarted[];
  let features: Float32Array;
  let width: number;

  beforeAll(async () => {
    server = await startOnline();
    rides = await testRides(5, 'v2');
    width = server.online.models.width;
    features = buildFeatures(server.online.models.spec, rides);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const expected = async (model: (typeof MODEL_NAMES)[number]) =>
    Array.from(await server.online.models.byName[model].predictFeatures(features, rides.length));

  it('GET /v2 → server metadata: name, version, extensions', async () => {
    const { status, body } = await get(`${server.url}/v2`);
    expect(status).toBe(200);
    expect(body).toEqual({ name: 'fleet-online', version: expect.any(String), extensions: ['binary_tensor_data'] });
  });

  it('GET /v2/health/live and /v2/health/ready → 200', async () => {
    expect(await get(`${server.url}/v2/health/live`)).toMatchObject({ status: 200, body: { live: true } });
    expect(await get(`${server.url}/v2/health/ready`)).toMatchObject({ status: 200, body: { ready: true } });
  });

  it.each(MODEL_NAMES)('GET /v2/models/%s → model metadata, a variable dimension as -1', async (model) => {
    const card = server.online.models.byName[model].card;
    const metadata = {
      name: model,
      versions: [card.version],
      platform: 'onnx_onnxv1',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, width] }],
      outputs: [{ name: 'variable', datatype: 'FP32', shape: [-1, 1] }],
    };
    expect(await get(`${server.url}/v2/models/${model}`)).toMatchObject({ status: 200, body: metadata });
    const versioned = await get(`${server.url}/v2/models/${model}/versions/${card.version}`);
    expect(versioned).toMatchObject({ status: 200, body: metadata });
    expect(await get(`${server.url}/v2/models/${model}/ready`)).toMatchObject({
      status: 200,
      body: { name: model, ready: true },
    });
  });

  it.each(MODEL_NAMES)(
    'POST /v2/models/%s/infer: FP32 [N, F] in, the model output [N, 1] out, id echoed',
    async (model) => {
      const request = {
        id: `req-${model}`,
        inputs: [{ name: 'features', shape: [rides.length, width], datatype: 'FP32', data: Array.from(features) }],
      };
      const { status, body } = await post(`${server.url}/v2/models/${model}/infer`, request);
      expect(status).toBe(200);
      expect(body).toEqual({
        model_name: model,
        model_version: server.online.models.byName[model].version,
        id: `req-${model}`,
        outputs: [{ name: 'variable', datatype: 'FP32', shape: [rides.length, 1], data: await expected(model) }],
      });
    },
  );

  it('takes nested row-major data, a versioned path and a request without id (one is generated)', async () => {
    const rows = Array.from({ length: rides.length }, (_, r) =>
      Array.from(features.subarray(r * width, (r + 1) * width)),
    );
    const version = server.online.models.byName.cost.version;
    const { status, body } = await post(`${server.url}/v2/models/cost/versions/${version}/infer`, {
      inputs: [{ name: 'features', shape: [rides.length, width], datatype: 'FP32', data: rows }],
      outputs: [{ name: 'variable' }],
    });
    expect(status).toBe(200);
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.outputs[0].data).toEqual(await expected('cost'));
  });

  it('speaks the binary tensor data extension: binary input after the JSON header, binary output on request', async () => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          {
            name: 'features',
            shape: [rides.length, width],
            datatype: 'FP32',
            parameters: { binary_data_size: features.length * 4 },
          },
        ],
        outputs: [{ name: 'variable', parameters: { binary_data: true } }],
      }),
    );
    const data = Buffer.alloc(features.length * 4);
    features.forEach((v, i) => data.writeFloatLE(v, i * 4));
    const response = await fetch(`${server.url}/v2/models/tip/infer`, {
      method: 'POST',
      body: Buffer.concat([header, data]),
      headers: { 'inference-header-content-length': String(header.length) },
    });
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    const jsonLength = Number(response.headers.get('inference-header-content-length'));
    const json = JSON.parse(body.subarray(0, jsonLength).toString('utf8'));
    expect(json.outputs).toEqual([
      {
        name: 'variable',
        datatype: 'FP32',
        shape: [rides.length, 1],
        parameters: { binary_data_size: rides.length * 4 },
      },
    ]);
    const values = Array.from({ length: rides.length }, (_, i) => body.readFloatLE(jsonLength + i * 4));
    expect(values).toEqual(await expected('tip'));
  });

  it('refuses binary input holding NaN or Infinity with a 400 naming the value', async () => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'features', shape: [1, width], datatype: 'FP32', parameters: { binary_data_size: width * 4 } },
        ],
      }),
    );
    for (const [at, value] of [
      [0, Number.NaN],
      [width - 1, Infinity],
    ] as const) {
      const data = Buffer.alloc(width * 4);
      features.slice(0, width).forEach((v, i) => data.writeFloatLE(v, i * 4));
      data.writeFloatLE(value, at * 4);
      const response = await fetch(`${server.url}/v2/models/duration/infer`, {
        method: 'POST',
        body: Buffer.concat([header, data]),
        headers: { 'inference-header-content-length': String(header.length) },
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        code: 'FLEET_INPUT_INVALID',
        field: 'inputs[0]',
        error: `inputs[0] binary value ${at} (${value}) must be a finite number within FP32 range`,
      });
    }
  });

  it('answers errors as {"error": "..."} with a 4xx status', async () => {
    const unknown = await get(`${server.url}/v2/models/fare`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no model "fare"/);
    const version = await get(`${server.url}/v2/models/duration/versions/9.9.9`);
    expect(version.status).toBe(404);
    expect(version.body.error).toMatch(/no version "9.9.9"/);
    const shape = await post(`${server.url}/v2/models/duration/infer`, {
      inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }],
    });
    expect(shape.status).toBe(400);
    expect(shape.body).toMatchObject({
      error: expect.stringMatching(/inputs\[0\]\.shape must be \[N, \d+\]/),
      field: 'inputs[0].shape',
    });
  });
});
