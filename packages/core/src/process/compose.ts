import { loadConfig, type ConfigOf, type EnvSchema } from '../config.js';
import { systemClock, type Clock } from '../clock.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  kafkaConnection,
  registryConnection,
  securityWarnings,
  tracingSettings,
  type CommonConfig,
  type ServiceConfig,
} from '../env.js';
import { createKafkaClient } from '../kafka/client.js';
import type { KafkaClient } from '../kafka/types.js';
import { createLogger, type Logger } from '../logger.js';
import { createMetrics, type FleetMetrics } from '../ops/metrics.js';
import { serve } from '../ops/serve.js';
import { createTracing, type Tracing } from '../ops/tracing.js';
import type { StreamService } from '../pipeline/stream-service.js';
import { createRegistry, type Registry } from '../serde/registry.js';

/**
 * What a caller of a process composition may replace: the tests, the fault suite, the
 * bench and the demo inject what they observe or break, and nothing else.
 */
export interface ProcessOverrides {
  /** Variables read on top of `process.env` (e.g. random topic and group names). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The logger. @default pino on stdout at `LOG_LEVEL` */
  logger?: Logger;
  /**
   * The Kafka client, or a wrapper of the one built from the configuration (to observe
   * or break sends, say). @default the one `KAFKA_CLIENT` names (kafkajs), from `KAFKA_*`
   */
  kafka?: KafkaClient | ((built: KafkaClient) => KafkaClient);
  /** The schema registry client. @default from `SCHEMA_REGISTRY_*` */
  registry?: Registry;
  /** The metrics. @default a registry of its own, labelled with the service */
  metrics?: FleetMetrics;
  /** The clock. @default {@link systemClock} */
  clock?: Clock;
  /**
   * Where the process's spans go, instead of `OTEL_TRACES_EXPORTER` (a test's in-memory
   * exporter; several processes may share one). @default from `OTEL_*`
   */
  spanExporter?: SpanExporter;
}

/** The parts every stream process is built from, resolved from configuration and overrides. */
export interface ProcessParts<C> {
  readonly config: C;
  readonly logger: Logger;
  readonly kafka: KafkaClient;
  readonly registry: Registry;
  readonly metrics: FleetMetrics;
  readonly clock: Clock;
  /** Spans per record, under `service.name` = the service (none unless configured). */
  readonly tracing: Tracing;
}

/**
 * Reads `schema` once from the environment (plus `overrides.env`) and builds the parts a
 * stream process needs, each replaceable by an override.
 * Logs the {@link securityWarnings} of the configuration once.
 * @throws FleetError FLEET_CONFIG_INVALID naming the first bad variable, or security
 * settings that contradict each other (`checkKafkaSecurity`).
 */
export function processParts<S extends EnvSchema>(
  service: string,
  schema: S,
  overrides: ProcessOverrides = {},
): ProcessParts<ConfigOf<S> & CommonConfig> {
  const env = overrides.env ? { ...process.env, ...overrides.env } : process.env;
  const config = loadConfig(schema, env) as ConfigOf<S> & CommonConfig;
  const logger = overrides.logger ?? createLogger({ service, level: config.logLevel });
  for (const warning of securityWarnings(config)) logger.warn(warning);
  const kafka =
    typeof overrides.kafka === 'function'
      ? overrides.kafka(createKafkaClient(kafkaConnection(config, service), logger))
      : (overrides.kafka ?? createKafkaClient(kafkaConnection(config, service), logger));
  return {
    config,
    logger,
    kafka,
    registry: overrides.registry ?? createRegistry(registryConnection(config)),
    metrics: overrides.metrics ?? createMetrics(service),
    clock: overrides.clock ?? systemClock,
    tracing: createTracing(tracingSettings(config, service), overrides.spanExporter),
  };
}

/**
 * Longest a stop waits for the spans still buffered to be exported: the OTLP exporter
 * retries a collector that is down for about 10 s, which would eat the shutdown grace.
 */
export const TRACING_SHUTDOWN_MS = 2000;

/**
 * Ends `tracing`, exporting the spans it still holds, within `timeoutMs`: those not
 * exported by then (or whose export failed) are dropped, and a warning says so.
 */
export async function shutdownTracing(
  tracing: Tracing,
  logger: Logger,
  timeoutMs = TRACING_SHUTDOWN_MS,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  try {
    const outcome = await Promise.race([tracing.shutdown(), late]);
    if (outcome === 'late')
      logger.warn({ timeoutMs }, 'spans not exported in time were dropped (is the collector up?)');
  } catch (err) {
    logger.warn({ err }, 'exporting the last spans failed; they were dropped');
  } finally {
    clearTimeout(timer);
  }
}

/** A composed service process: its parts and its stream service, not yet started. */
export interface FleetProcess<C> extends ProcessParts<C> {
  readonly service: StreamService;
  /**
   * Runs it as the process's `main` does: the operations endpoint on `METRICS_PORT`,
   * SIGTERM/SIGINT handling within `SHUTDOWN_GRACE_MS`, then the service.
   */
  run(): Promise<void>;
  /** Stops the service in this process (tests, tools) and releases what it holds. */
  stop(): Promise<void>;
}

/**
 * Joins parts and a built service into a {@link FleetProcess}. Stopping it, by `stop()` or
 * a signal, also exports the spans still buffered (for at most {@link TRACING_SHUTDOWN_MS}).
 */
export function fleetProcess<C extends ServiceConfig>(parts: ProcessParts<C>, service: StreamService): FleetProcess<C> {
  const stop = async () => {
    await service.stop();
    await shutdownTracing(parts.tracing, parts.logger);
  };
  // The service as `serve` runs it: the same service, whose stop (on a signal) ends tracing too.
  const served: StreamService = Object.create(service, { stop: { value: stop } });
  return {
    ...parts,
    service,
    run: () =>
      serve(served, {
        logger: parts.logger,
        metrics: parts.metrics,
        metricsPort: parts.config.metricsPort,
        shutdownGraceMs: parts.config.shutdownGraceMs,
      }),
    stop,
  };
}
