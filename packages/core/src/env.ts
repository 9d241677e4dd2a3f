import { readFileSync } from 'node:fs';
import { bool, hostPorts, int, loadConfig, oneOf, str, type ConfigOf } from './config.js';
import { DEFAULT_COMMIT_INTERVAL_MS } from './kafka/commit-queue.js';
import type { FleetTopics } from './kafka/topics.js';
import { KAFKA_CLIENTS, type ConsumerOptions, type KafkaClientKind, type KafkaConnection } from './kafka/types.js';
import type { TracingSettings } from './ops/tracing.js';
import type { RegistryConnection } from './serde/registry.js';

/**
 * Environment variables every fleet process reads. Defaults fit the local stack that
 * `npx fleet infra up` starts.
 */
export const commonEnv = {
  kafkaBrokers: hostPorts('KAFKA_BROKERS', 'Kafka bootstrap brokers, host:port, comma-separated', ['127.0.0.1:9092']),
  kafkaClientId: str('KAFKA_CLIENT_ID', 'Client id prefix sent to the broker', 'fleet'),
  kafkaClient: oneOf(
    'KAFKA_CLIENT',
    'Kafka client library behind the seam: kafkajs or platformatic (@platformatic/kafka)',
    KAFKA_CLIENTS,
    'kafkajs',
  ),
  kafkaSsl: bool('KAFKA_SSL', 'Connect to the brokers over TLS', false),
  kafkaSslCaFile: str(
    'KAFKA_SSL_CA_FILE',
    "PEM file of the CA that signed the brokers' certificates (implies KAFKA_SSL)",
    '',
  ),
  kafkaSaslMechanism: oneOf(
    'KAFKA_SASL_MECHANISM',
    'SASL mechanism, or none',
    ['none', 'scram-sha-256', 'scram-sha-512', 'plain'] as const,
    'none',
  ),
  kafkaSaslUsername: str('KAFKA_SASL_USERNAME', 'SASL user name', ''),
  kafkaSaslPassword: str('KAFKA_SASL_PASSWORD', 'SASL password (never logged)', ''),
  schemaRegistryUrl: str(
    'SCHEMA_REGISTRY_URL',
    'Base URL of the Confluent-compatible registry API',
    'http://127.0.0.1:8081/apis/ccompat/v7',
  ),
  schemaRegistryUsername: str('SCHEMA_REGISTRY_USERNAME', 'Registry basic-auth user', ''),
  schemaRegistryPassword: str('SCHEMA_REGISTRY_PASSWORD', 'Registry basic-auth password (never logged)', ''),
  logLevel: oneOf(
    'LOG_LEVEL',
    'pino log level',
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
    'info',
  ),
  topicRides: str('TOPIC_RIDES', 'Topic of ride_started events', 'ride_started'),
  topicPredictions: str('TOPIC_PREDICTIONS', 'Topic of model predictions', 'predictions'),
  topicDecisions: str('TOPIC_DECISIONS', 'Topic of ride decisions', 'ride_decisions'),
  topicCompleted: str('TOPIC_COMPLETED', 'Topic of ride_completed events (what actually happened)', 'ride_completed'),
  topicModelHealth: str('TOPIC_MODEL_HEALTH', "Topic of the monitor's model_health records", 'model_health'),
  topicPartitions: int('TOPIC_PARTITIONS', 'Partitions of the fleet topics when they are created', 6, 1, 1000),
  topicReplicationFactor: int(
    'TOPIC_REPLICATION_FACTOR',
    'Replication factor of the fleet topics when they are created',
    1,
    1,
    10,
  ),
  tracesExporter: oneOf(
    'OTEL_TRACES_EXPORTER',
    'Where OpenTelemetry spans go: none, or otlp (OTLP over HTTP to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)',
    ['none', 'otlp'] as const,
    'none',
  ),
  tracesEndpoint: str(
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTLP/HTTP endpoint of the spans when OTEL_TRACES_EXPORTER=otlp',
    'http://127.0.0.1:4318/v1/traces',
  ),
} as const;

/** Environment of every long-running service process (model services and decision). */
export const serviceEnv = {
  sessionTimeoutMs: int('KAFKA_SESSION_TIMEOUT_MS', 'Consumer group session timeout', 30_000, 6000, 300_000),
  metricsPort: int(
    'METRICS_PORT',
    'HTTP port of /metrics, /healthz and /readyz (0 picks a free port, logged at start)',
    0,
    0,
    65535,
  ),
  shutdownGraceMs: int('SHUTDOWN_GRACE_MS', 'Time to finish the batch, commit and disconnect on SIGTERM', 20_000, 0),
  partitionsConcurrently: int(
    'KAFKA_PARTITIONS_CONCURRENTLY',
    'Partitions whose fetched batches are handled at once (their model calls, produce requests and commits are shared)',
    6,
    1,
    64,
  ),
  fetchMinBytes: int(
    'KAFKA_FETCH_MIN_BYTES',
    'Bytes a fetch asks the broker to gather (waiting up to KAFKA_FETCH_MAX_WAIT_MS) before it answers: more rides per round trip, up to that wait more per hop',
    1,
    1,
    64 * 1024 * 1024,
  ),
  fetchMaxWaitMs: int(
    'KAFKA_FETCH_MAX_WAIT_MS',
    'Longest the broker holds a fetch for KAFKA_FETCH_MIN_BYTES (with none to read, how often a consumer asks again)',
    100,
    1,
    30_000,
  ),
  commitIntervalMs: int(
    'KAFKA_COMMIT_INTERVAL_MS',
    'Least time between two offset commits of a consumer (offsets coalesce meanwhile): fewer requests, more records read again after a crash',
    DEFAULT_COMMIT_INTERVAL_MS,
    0,
    60_000,
  ),
} as const;

/** The parsed {@link commonEnv}. */
export type CommonConfig = ConfigOf<typeof commonEnv>;

/** The parsed {@link commonEnv} and {@link serviceEnv}: what a long-running service reads. */
export type ServiceConfig = CommonConfig & ConfigOf<typeof serviceEnv>;

/** What a long-running service's environment sets of its group consumer. */
export type ConsumerSettings = Pick<
  ConsumerOptions,
  'sessionTimeoutMs' | 'partitionsConcurrently' | 'minBytes' | 'maxWaitTimeMs' | 'commitIntervalMs'
>;

/** The group consumer settings of a long-running service, from its {@link serviceEnv}. */
export function consumerSettings(config: ConfigOf<typeof serviceEnv>): ConsumerSettings {
  return {
    sessionTimeoutMs: config.sessionTimeoutMs,
    partitionsConcurrently: config.partitionsConcurrently,
    minBytes: config.fetchMinBytes,
    maxWaitTimeMs: config.fetchMaxWaitMs,
    commitIntervalMs: config.commitIntervalMs,
  };
}

/** The Kafka connection described by the configuration. */
export function kafkaConnection(config: CommonConfig, clientIdSuffix: string): KafkaConnection {
  const caFile = config.kafkaSslCaFile || undefined;
  const ssl = caFile ? { ca: readFileSync(caFile, 'utf8') } : config.kafkaSsl;
  const sasl =
    config.kafkaSaslMechanism === 'none'
      ? undefined
      : {
          mechanism: config.kafkaSaslMechanism,
          username: config.kafkaSaslUsername,
          password: config.kafkaSaslPassword,
        };
  return {
    client: config.kafkaClient,
    brokers: config.kafkaBrokers,
    clientId: `${config.kafkaClientId}-${clientIdSuffix}`,
    ssl,
    sasl,
  };
}

/**
 * The client library `KAFKA_CLIENT` names, for connections built without the whole
 * configuration (test helpers, the bench, probes).
 * @throws FleetError FLEET_CONFIG_INVALID when the variable names no known client.
 */
export function kafkaClientKind(env: NodeJS.ProcessEnv = process.env): KafkaClientKind {
  return loadConfig({ kafkaClient: commonEnv.kafkaClient }, env).kafkaClient;
}

/** Every topic of the fleet named by the configuration (`TOPIC_*`). */
export function fleetTopics(config: CommonConfig): Required<FleetTopics> {
  return {
    rides: config.topicRides,
    predictions: config.topicPredictions,
    decisions: config.topicDecisions,
    completed: config.topicCompleted,
    health: config.topicModelHealth,
  };
}

/** The tracing described by the configuration, for the process `service`. */
export function tracingSettings(config: CommonConfig, service: string): TracingSettings {
  return { service, exporter: config.tracesExporter, endpoint: config.tracesEndpoint };
}

/** The registry connection described by the configuration. */
export function registryConnection(config: CommonConfig): RegistryConnection {
  return {
    url: config.schemaRegistryUrl.replace(/\/+$/, ''),
    username: config.schemaRegistryUsername || undefined,
    password: config.schemaRegistryPassword || undefined,
  };
}
