import { readFileSync } from 'node:fs';
import { FleetError } from '@fleet/contract';
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

/**
 * The Kafka connection described by the configuration, once {@link checkKafkaSecurity}
 * accepts it.
 * @throws FleetError FLEET_CONFIG_INVALID when the security settings contradict each other
 * or `KAFKA_SSL_CA_FILE` cannot be read.
 */
export function kafkaConnection(config: CommonConfig, clientIdSuffix: string): KafkaConnection {
  checkKafkaSecurity(config);
  const caFile = config.kafkaSslCaFile || undefined;
  const ssl = caFile ? { ca: readCaFile(caFile) } : config.kafkaSsl;
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

/** Whether the configuration reaches the brokers over TLS: `KAFKA_SSL`, or a CA file, which implies it. */
const kafkaTls = (config: CommonConfig): boolean => config.kafkaSsl || config.kafkaSslCaFile !== '';

/**
 * Refuses Kafka security settings that contradict each other: `plain` without TLS (the
 * password would cross the network in clear text), a user or password with mechanism
 * `none` (the client would connect without them, as nobody), and a mechanism without both.
 * @throws FleetError FLEET_CONFIG_INVALID naming the variables and what to set.
 */
export function checkKafkaSecurity(config: CommonConfig): void {
  const mechanism = config.kafkaSaslMechanism;
  const invalid = (variable: string, message: string) =>
    new FleetError('FLEET_CONFIG_INVALID', message, { context: { variable } });
  if (mechanism === 'plain' && !kafkaTls(config)) {
    throw invalid(
      'KAFKA_SASL_MECHANISM',
      'KAFKA_SASL_MECHANISM=plain sends KAFKA_SASL_PASSWORD in clear text without TLS: set KAFKA_SSL=true ' +
        '(or KAFKA_SSL_CA_FILE), or use scram-sha-512 or scram-sha-256',
    );
  }
  const credentials = [
    ['KAFKA_SASL_USERNAME', config.kafkaSaslUsername],
    ['KAFKA_SASL_PASSWORD', config.kafkaSaslPassword],
  ] as const;
  const given = credentials.filter(([, value]) => value !== '').map(([name]) => name);
  if (mechanism === 'none' && given.length > 0) {
    throw invalid(
      given[0],
      `${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} set but KAFKA_SASL_MECHANISM is none, so the ` +
        'client would connect without them: set KAFKA_SASL_MECHANISM (scram-sha-512, scram-sha-256, or plain ' +
        'over TLS) for a SASL listener, or unset them for a listener without SASL',
    );
  }
  const missing = credentials.filter(([, value]) => value === '').map(([name]) => name);
  if (mechanism !== 'none' && missing.length > 0) {
    throw invalid(
      missing[0],
      `KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and ` +
        `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: set both, or ` +
        'KAFKA_SASL_MECHANISM=none for a listener without SASL',
    );
  }
}

/**
 * Security settings that work but expose something on the network, one sentence each, for
 * a process to log as warnings once at start: SCRAM without TLS (the broker's and the
 * client's traffic, not the password, in clear text), a registry password over `http://`.
 */
export function securityWarnings(config: CommonConfig): string[] {
  const warnings: string[] = [];
  if (config.kafkaSaslMechanism.startsWith('scram-') && !kafkaTls(config)) {
    warnings.push(
      `KAFKA_SASL_MECHANISM=${config.kafkaSaslMechanism} without TLS: the password is never sent, but ` +
        'every record is, in clear text; set KAFKA_SSL=true (or KAFKA_SSL_CA_FILE) when the listener takes TLS',
    );
  }
  if (config.schemaRegistryPassword !== '' && /^http:\/\//i.test(config.schemaRegistryUrl)) {
    warnings.push(
      'SCHEMA_REGISTRY_PASSWORD is sent in clear text to an http:// SCHEMA_REGISTRY_URL: use the https:// address of the registry',
    );
  }
  return warnings;
}

/** The CA certificate `KAFKA_SSL_CA_FILE` names, or an error naming the variable and the path. */
function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new FleetError(
      'FLEET_CONFIG_INVALID',
      `KAFKA_SSL_CA_FILE=${file} cannot be read (${why}): set it to the PEM file of the CA that signed the ` +
        "brokers' certificates, or leave it empty to trust the system's CAs",
      { cause: err, context: { variable: 'KAFKA_SSL_CA_FILE' } },
    );
  }
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
