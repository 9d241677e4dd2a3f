import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FleetError, isModelName, MODEL_NAMES, type ModelName } from '@fleet/contract';
import type { RideModel } from '@fleet/scoring';
import type { OnlineModels } from '../models.js';
import { INFER_BODY_SCHEMA } from '../schemas.js';
import type { Scoring } from '../scoring.js';
import { inferResponse, inputMatrix, modelMetadata, wantsBinaryOutput, type InferRequest } from '../v2-tensor.js';

/** The header that gives the length of the JSON part of a body with binary tensor data. */
const HEADER_LENGTH = 'inference-header-content-length';

const SERVER_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** What the Open Inference Protocol routes need. */
export interface V2Options {
  models: OnlineModels;
  scoring: Scoring;
  maxRows: number;
  /** Whether the models are loaded and the service is not draining. */
  ready: () => boolean;
}

type ModelParams = { model: string; version?: string };

function modelOf(models: OnlineModels, params: ModelParams): { name: ModelName; model: RideModel } {
  const { model, version } = params;
  if (!isModelName(model)) {
    throw new FleetError('FLEET_UNKNOWN_MODEL', `no model "${model}": this server serves ${MODEL_NAMES.join(', ')}`, {
      context: { model },
    });
  }
  const found = models.byName[model];
  if (version !== undefined && version !== found.version) {
    throw new FleetError(
      'FLEET_UNKNOWN_MODEL',
      `model "${model}" has no version "${version}" (serves ${found.version})`,
      {
        context: { model, version },
      },
    );
  }
  return { name: model, model: found };
}

/**
 * Bodies of the inference routes: JSON (any or no content type, as Triton's client sends
 * none), or a JSON header of `Inference-Header-Content-Length` bytes followed by binary
 * tensor data, kept aside for the handler.
 */
function acceptInferBodies(app: FastifyInstance, binaries: WeakMap<object, Buffer>): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const parser = (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const header = Number(request.headers[HEADER_LENGTH]);
    if (!Number.isInteger(header) || header <= 0 || header > body.length)
      return parseJson(request, body.toString('utf8'), done);
    parseJson(request, body.subarray(0, header).toString('utf8'), (err, json) => {
      if (!err && json !== null && typeof json === 'object') binaries.set(json as object, body.subarray(header));
      done(err, json);
    });
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, parser);
}

function sendInfer(
  reply: FastifyReply,
  json: Record<string, unknown>,
  tail?: Buffer,
): FastifyReply | Record<string, unknown> {
  if (tail === undefined) return json;
  const head = Buffer.from(JSON.stringify(json), 'utf8');
  return reply
    .header('content-type', 'application/octet-stream')
    .header(HEADER_LENGTH, String(head.length))
    .send(Buffer.concat([head, tail]));
}

/** The Open Inference Protocol v2 REST API for each model (KServe, Triton, MLServer). */
export async function v2Routes(app: FastifyInstance, options: V2Options): Promise<void> {
  const { models, scoring } = options;
  const binaries = new WeakMap<object, Buffer>();
  acceptInferBodies(app, binaries);
  const health = (field: 'live' | 'ready', ok: () => boolean) => async (_: FastifyRequest, reply: FastifyReply) =>
    reply.code(ok() ? 200 : 503).send({ [field]: ok() });
  app.get('/v2', async () => ({ name: 'fleet-online', version: SERVER_VERSION, extensions: ['binary_tensor_data'] }));
  app.get(
    '/v2/health/live',
    health('live', () => true),
  );
  app.get('/v2/health/ready', health('ready', options.ready));
  for (const base of ['/v2/models/:model', '/v2/models/:model/versions/:version']) {
    app.get<{ Params: ModelParams }>(base, async (request) =>
      modelMetadata(modelOf(models, request.params).model.card),
    );
    app.get<{ Params: ModelParams }>(`${base}/ready`, async (request, reply) => {
      const { name } = modelOf(models, request.params);
      return reply.code(options.ready() ? 200 : 503).send({ name, ready: options.ready() });
    });
    app.post<{ Params: ModelParams; Body: InferRequest }>(
      `${base}/infer`,
      {
        schema: { body: INFER_BODY_SCHEMA },
        // An unknown model is a 404 whatever the body: checked before the body's schema.
        preValidation: async (request) => void modelOf(models, request.params),
      },
      async (request, reply) => {
        const { name, model } = modelOf(models, request.params);
        const body = request.body;
        const { features, rows } = inputMatrix(body, model.card, options.maxRows, binaries.get(body));
        const values = await scoring.infer(name, features, rows);
        const bad = values.findIndex((v) => !Number.isFinite(v));
        if (bad !== -1) {
          throw new FleetError(
            'FLEET_MODEL_NON_FINITE_OUTPUT',
            `model ${name} returned ${values[bad]} for row ${bad}`,
            {
              context: { model: name, row: bad },
            },
          );
        }
        const { json, tail } = inferResponse(model.card, body.id ?? randomUUID(), values, wantsBinaryOutput(body));
        return sendInfer(reply, json, tail);
      },
    );
  }
}
