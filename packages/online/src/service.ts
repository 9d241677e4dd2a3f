import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { MODEL_NAMES, type ModelName } from '@fleet/contract';
import { componentLogger, systemClock, type Clock, type Logger } from '@fleet/core';
import { createAdmission } from './admission.js';
import { createMicroBatcher, type BatchRun, type MicroBatcher } from './batcher.js';
import type { OnlineConfig } from './env.js';
import { errorAnswer, schemaFailure, type ErrorAnswer } from './http-errors.js';
import { createOnlineMetrics, type OnlineMetrics, type RejectReason } from './metrics.js';
import type { OnlineModels } from './models.js';
import { opsRoutes } from './routes/ops.js';
import { quoteRoutes } from './routes/quote.js';
import { v2Routes } from './routes/v2.js';
import { createScoring } from './scoring.js';

/** What the online service is built from. */
export interface OnlineServiceDeps {
  /** The three models, loaded and verified; the caller closes them after `stop()`. */
  models: OnlineModels;
  logger: Logger;
  /** Stamps `quoted_at` and fills a missing `pickup_time`. @default the system clock */
  clock?: Clock;
  /** Wraps each model's call (a test holds calls to fill the queue). */
  run?: (model: ModelName, real: BatchRun) => BatchRun;
}

/** The online service: built, not started. */
export interface OnlineService {
  /** Listens on `ONLINE_HOST:ONLINE_PORT`; resolves to the port (useful with port 0). */
  start(): Promise<number>;
  /** Stops accepting, answers every request in flight, then closes the server. */
  stop(): Promise<void>;
  readonly metrics: OnlineMetrics;
  /** The Fastify instance (its routes, for `inject` in a test). */
  readonly app: FastifyInstance;
}

type State = 'starting' | 'ready' | 'draining' | 'stopped';

function batchersOf(config: OnlineConfig, deps: OnlineServiceDeps, metrics: () => OnlineMetrics) {
  const make = (name: ModelName): MicroBatcher => {
    const model = deps.models.byName[name];
    const real: BatchRun = (features, rows) => model.predictFeaturesUnchecked(features, rows);
    return createMicroBatcher({
      width: deps.models.width,
      enabled: config.batching,
      maxRows: config.batchMaxRows,
      maxWaitMs: config.batchMaxWaitMs,
      run: deps.run ? deps.run(name, real) : real,
      onBatch: (rows, requests, seconds) => metrics().observeBatch(name, rows, requests, seconds),
    });
  };
  return Object.fromEntries(MODEL_NAMES.map((m) => [m, make(m)])) as Record<ModelName, MicroBatcher>;
}

function sendError(reply: FastifyReply, answer: ErrorAnswer): FastifyReply {
  if (answer.retryAfterSec !== undefined) reply.header('retry-after', String(answer.retryAfterSec));
  return reply.code(answer.status).send(answer.body);
}

/**
 * The online service: `POST /v1/quote`, the Open Inference Protocol v2 API of each model,
 * `/metrics`, `/healthz`, `/readyz`, on one Fastify server. Requests for a model are
 * micro-batched into shared model calls; the work admitted is bounded (requests in flight
 * and rides queued), beyond which a request gets 503 with `Retry-After`.
 */
export function createOnlineService(config: OnlineConfig, deps: OnlineServiceDeps): OnlineService {
  const log = componentLogger(deps.logger, 'online');
  let state: State = 'starting';
  let inFlight = 0;
  let peakInFlight = 0;
  const admission = createAdmission(config.maxQueuedRows, config.retryAfterSec);
  const metrics = createOnlineMetrics({
    get queuedRows() {
      return admission.queuedRows;
    },
    get peakQueuedRows() {
      return admission.peakQueuedRows;
    },
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
  });
  const batchers = batchersOf(config, deps, () => metrics);
  const scoring = createScoring({ models: deps.models, batchers, admission, clock: deps.clock ?? systemClock });
  const ready = (): boolean => state === 'ready';
  const app = Fastify({
    loggerInstance: componentLogger(deps.logger, 'http') as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    // The body is checked as sent: no type coercion ("3" is not a number), no stripped fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    forceCloseConnections: 'idle',
  });

  const reject = (reply: FastifyReply, reason: RejectReason, error: string): FastifyReply => {
    metrics.rejected(reason);
    return sendError(reply, {
      status: 503,
      body: { error, code: 'FLEET_OVERLOADED' },
      retryAfterSec: config.retryAfterSec,
      serverFault: false,
    });
  };

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'POST') return;
    if (state !== 'ready') return reject(reply, 'draining', 'the service is shutting down: retry on another replica');
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    // 'close' fires once whether the answer was sent or the client went away.
    reply.raw.once('close', () => inFlight--);
    if (inFlight > config.maxInFlight) {
      return reject(reply, 'too_many_requests', `${config.maxInFlight} requests are in flight already: retry later`);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(
      request.routeOptions.url ?? 'unmatched',
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
  app.setErrorHandler((err, request, reply) => {
    const validation = (err as { validation?: Parameters<typeof schemaFailure>[0] }).validation;
    const answer = validation ? schemaFailure(validation) : errorAnswer(err);
    if (answer.serverFault) log.error({ err, url: request.url }, 'request failed');
    if (answer.status === 503) metrics.rejected('queue_full');
    return sendError(reply, answer);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: `no route ${request.method} ${request.url}: see /v1/quote, /v2, /metrics, /healthz, /readyz` }),
  );
  void app.register(opsRoutes, { registry: metrics.registry, live: () => state !== 'stopped', ready });
  void app.register(quoteRoutes, { scoring, maxRides: config.maxRides });
  void app.register(v2Routes, { models: deps.models, scoring, maxRows: config.maxRides, ready });

  return {
    metrics,
    app,
    async start() {
      await app.listen({ port: config.port, host: config.host });
      state = 'ready';
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      log.info(
        { port, batching: config.batching, batchMaxRows: config.batchMaxRows, batchMaxWaitMs: config.batchMaxWaitMs },
        'online service listening: /v1/quote /v2 /metrics /healthz /readyz',
      );
      return port;
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'draining';
      log.info({ inFlight, queuedRows: admission.queuedRows }, 'draining: answering the requests in flight');
      await app.close();
      await Promise.all(MODEL_NAMES.map((m) => batchers[m].idle()));
      state = 'stopped';
    },
  };
}
