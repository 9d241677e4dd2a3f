import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { MODEL_NAMES, type ModelName } from '@fleet/contract';
import {
  componentLogger,
  listenError,
  noTracing,
  systemClock,
  type Clock,
  type Logger,
  type ModelOutputs,
  type Tracing,
} from '@fleet/core';
import { createAdmission } from './admission.js';
import { createMicroBatcher, sliceOutputs, type BatchRun, type ModelCall } from './batcher.js';
import type { OnlineConfig } from './env.js';
import { errorAnswer, schemaFailure, type ErrorAnswer } from './http-errors.js';
import { createOnlineMetrics, type OnlineMetrics } from './metrics.js';
import type { OnlineModels, QuoteOutputs } from './models.js';
import { opsRoutes } from './routes/ops.js';
import { quoteRoutes } from './routes/quote.js';
import { v2Routes } from './routes/v2.js';
import { createScoring, type Batchers, type Scoring } from './scoring.js';
import { installTraffic } from './traffic.js';

/** What the online service is built from. */
export interface OnlineServiceDeps {
  /** The three models, loaded and verified; the caller closes them after `stop()`. */
  models: OnlineModels;
  logger: Logger;
  /** Stamps `quoted_at` and fills a missing `pickup_time`. @default the system clock */
  clock?: Clock;
  /**
   * Wraps each call of the models: one model's (the v2 API's infer), or the three at once
   * for quotes (`'quotes'`). A test holds calls to fill the queue.
   */
  run?: <T>(call: ModelName | 'quotes', real: ModelCall<T>) => ModelCall<T>;
  /** Spans per quote request, continuing the caller's `traceparent`. @default none */
  tracing?: Tracing;
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

/** `real` wrapped by the caller's hook (if any) and timed into the batch metrics of `models`. */
function timed<T>(
  deps: OnlineServiceDeps,
  metrics: OnlineMetrics,
  call: ModelName | 'quotes',
  real: ModelCall<T>,
): BatchRun<T> {
  const run = deps.run ? deps.run(call, real) : real;
  const models = call === 'quotes' ? MODEL_NAMES : [call];
  return async (features, rows, requests) => {
    const started = performance.now();
    const outputs = await run(features, rows);
    const seconds = (performance.now() - started) / 1000;
    for (const model of models) metrics.observeBatch(model, rows, requests, seconds);
    return outputs;
  };
}

/**
 * The micro-batchers: one per model (the v2 API's infer), and one for quotes, whose every
 * call scores its rows with the three models at once (one onnxruntime call when their
 * graphs merge: `OnlineModels.scoreAll`).
 */
function batchersOf(config: OnlineConfig, deps: OnlineServiceDeps, metrics: OnlineMetrics): Batchers {
  const { models } = deps;
  const options = {
    width: models.width,
    enabled: config.batching,
    maxRows: config.batchMaxRows,
    maxWaitMs: config.batchMaxWaitMs,
  };
  const byModel = Object.fromEntries(
    MODEL_NAMES.map((m) => {
      const real: ModelCall<ModelOutputs> = (features, rows) => models.byName[m].predictOutputs(features, rows);
      return [m, createMicroBatcher({ ...options, run: timed(deps, metrics, m, real), slice: sliceOutputs })];
    }),
  ) as Batchers['byModel'];
  const quotes = createMicroBatcher<QuoteOutputs>({
    ...options,
    run: timed(deps, metrics, 'quotes', (features, rows) => models.scoreAll(features, rows)),
    slice: (outputs, from, to) => ({
      duration: sliceOutputs(outputs.duration, from, to),
      cost: sliceOutputs(outputs.cost, from, to),
      tip: sliceOutputs(outputs.tip, from, to),
    }),
  });
  return { byModel, quotes };
}

function sendError(reply: FastifyReply, answer: ErrorAnswer): FastifyReply {
  if (answer.retryAfterSec !== undefined) reply.header('retry-after', String(answer.retryAfterSec));
  return reply.code(answer.status).send(answer.body);
}

/** The Fastify server: pino through the fleet's logger, no per-request log lines, strict body checks. */
function fastify(config: OnlineConfig, logger: Logger): FastifyInstance {
  return Fastify({
    loggerInstance: componentLogger(logger, 'http') as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (Fastify's default): nothing logs per request, and making
    // one (with the redaction of secrets) costs more than some routes' whole work.
    childLoggerFactory: (logger) => logger,
    bodyLimit: config.bodyLimitBytes,
    // The body is checked as sent: no type coercion ("3" is not a number), no stripped fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // A drain (traffic.drain) answers what clients sent before the server closes.
    forceCloseConnections: 'idle',
    // A request must arrive whole within this: a client trickling its body cannot hold one of
    // the ONLINE_MAX_IN_FLIGHT places for long.
    requestTimeout: 30_000,
  });
}

interface RouteParts {
  config: OnlineConfig;
  deps: OnlineServiceDeps;
  scoring: Scoring;
  metrics: OnlineMetrics;
  ready: () => boolean;
  live: () => boolean;
  log: Logger;
}

/** The routes, their metrics and the answers of errors and unknown routes. */
function routes(app: FastifyInstance, parts: RouteParts): void {
  const { config, metrics, ready } = parts;
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.setErrorHandler((err, request, reply) => {
    const validation = (err as { validation?: Parameters<typeof schemaFailure>[0] }).validation;
    const answer = validation ? schemaFailure(validation) : errorAnswer(err);
    if (answer.serverFault) parts.log.error({ err, url: request.url }, 'request failed');
    if (answer.status === 503) metrics.rejected('queue_full');
    return sendError(reply, answer);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: `no route ${request.method} ${request.url}: see /v1/quote, /v2, /metrics, /healthz, /readyz` }),
  );
  void app.register(opsRoutes, { registry: metrics.registry, live: parts.live, ready });
  void app.register(quoteRoutes, {
    scoring: parts.scoring,
    maxRides: config.maxRides,
    tracing: parts.deps.tracing ?? noTracing,
  });
  void app.register(v2Routes, { models: parts.deps.models, scoring: parts.scoring, maxRows: config.maxRides, ready });
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
  const admission = createAdmission(config.maxQueuedRows, config.retryAfterSec);
  const app = fastify(config, deps.logger);
  // The gauges read the traffic when scraped, after it is installed below.
  const metrics = createOnlineMetrics(() => ({
    queuedRows: admission.queuedRows,
    peakQueuedRows: admission.peakQueuedRows,
    inFlight: traffic.inFlight,
    peakInFlight: traffic.peakInFlight,
  }));
  const traffic = installTraffic(app, {
    maxInFlight: config.maxInFlight,
    retryAfterSec: config.retryAfterSec,
    onReject: (reason) => metrics.rejected(reason),
    send: sendError,
  });
  const batchers = batchersOf(config, deps, metrics);
  const scoring = createScoring({ models: deps.models, batchers, admission, clock: deps.clock ?? systemClock });
  const ready = (): boolean => state === 'ready' && !traffic.draining;
  routes(app, { config, deps, scoring, metrics, ready, live: () => state !== 'stopped', log });

  return {
    metrics,
    app,
    async start() {
      await app.listen({ port: config.port, host: config.host }).catch((err: unknown) => {
        throw listenError(err, 'ONLINE_PORT', config.port, config.host);
      });
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
      log.info(
        { inFlight: traffic.inFlight, queuedRows: admission.queuedRows },
        'draining: answering the requests in flight',
      );
      await traffic.drain();
      await app.close();
      await Promise.all([batchers.quotes, ...MODEL_NAMES.map((m) => batchers.byModel[m])].map((b) => b.idle()));
      state = 'stopped';
    },
  };
}
