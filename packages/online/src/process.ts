import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { FleetError } from '@fleet/contract';
import {
  createLogger,
  createTracing,
  installShutdown,
  loadConfig,
  shutdownTracing,
  type Clock,
  type Logger,
} from '@fleet/core';
import { onlineEnv, type OnlineConfig } from './env.js';
import { loadOnlineModels, type OnlineModels } from './models.js';
import { createOnlineService, type OnlineService, type OnlineServiceDeps } from './service.js';

/** What a caller of {@link createOnlineProcess} may replace (tests, the bench). */
export interface OnlineProcessOverrides {
  /** Variables read on top of `process.env` (a port, batching settings…). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The logger. @default pino on stdout at `LOG_LEVEL` */
  logger?: Logger;
  /** The clock. @default the system clock */
  clock?: Clock;
  /** Wraps each model's call (to hold calls, count them…). */
  run?: OnlineServiceDeps['run'];
  /** Where the spans go, instead of `OTEL_TRACES_EXPORTER` (a test's in-memory exporter). */
  spanExporter?: SpanExporter;
}

/** A composed online process: its configuration, models and service, not started. */
export interface OnlineProcess {
  readonly config: OnlineConfig;
  readonly logger: Logger;
  readonly models: OnlineModels;
  readonly service: OnlineService;
  /** As `main` runs it: SIGTERM/SIGINT handling within `SHUTDOWN_GRACE_MS`, then the service. */
  run(): Promise<void>;
  /** Stops the service (draining what is in flight) and releases the models. */
  stop(): Promise<void>;
}

/**
 * The one composition of the online process, used by its `main`, `fleet serve`, the tests
 * and the bench: reads the environment, loads and verifies the three models (refusing a
 * file whose sha256 differs from its card), and builds the service.
 * @throws FleetError FLEET_CONFIG_INVALID, FLEET_MODEL_CHECKSUM_MISMATCH, FLEET_MODEL_LOAD_FAILED.
 */
export async function createOnlineProcess(overrides: OnlineProcessOverrides = {}): Promise<OnlineProcess> {
  const env = overrides.env ? { ...process.env, ...overrides.env } : process.env;
  const config = loadConfig(onlineEnv, env);
  if (config.maxRides > config.maxQueuedRows) {
    // A request of more rides than the queue holds would get 503 and be retried for ever.
    throw new FleetError(
      'FLEET_CONFIG_INVALID',
      `ONLINE_MAX_RIDES (${config.maxRides}) is above ONLINE_MAX_QUEUED_ROWS (${config.maxQueuedRows}): ` +
        'a request that large could never be admitted; lower the first or raise the second',
      { context: { variable: 'ONLINE_MAX_RIDES' } },
    );
  }
  const logger = overrides.logger ?? createLogger({ service: 'online', level: config.logLevel });
  const models = await loadOnlineModels(config.modelsDir, { intraOpNumThreads: config.onnxThreads });
  logger.info(
    Object.fromEntries(Object.entries(models.byName).map(([name, m]) => [name, `${m.version} ${m.card.sha256}`])),
    'models loaded and verified',
  );
  if (models.apart) logger.warn({ reason: models.apart }, 'quotes call each model apart (one call each)');
  const settings = { service: 'online', exporter: config.tracesExporter, endpoint: config.tracesEndpoint };
  const tracing = createTracing(settings, overrides.spanExporter);
  const service = createOnlineService(config, { models, logger, clock: overrides.clock, run: overrides.run, tracing });
  const stop = async (): Promise<void> => {
    await service.stop();
    await models.close();
    await shutdownTracing(tracing, logger);
  };
  return {
    config,
    logger,
    models,
    service,
    stop,
    async run() {
      installShutdown({ stop }, logger, { graceMs: config.shutdownGraceMs });
      await service.start();
    },
  };
}
