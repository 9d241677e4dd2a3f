import { FleetError, type QuoteRide, type RideQuote, type RideStarted } from '@fleet/contract';
import {
  createKafkaClient,
  createLogger,
  createRegistry,
  createTracing,
  kafkaConnection,
  loadConfig,
  registryConnection,
  securityWarnings,
  tracingSettings,
  type KafkaClient,
  type Logger,
  type Registry,
  type Tracing,
} from '@fleet/core';
import { createDecisionListener, type DecisionListener, type ReceivedDecision } from './decisions.js';
import { clientEnv, type ClientConfig } from './env.js';
import { createDecisionHub } from './hub.js';
import { createRidePublisher, type RidePublisher } from './publisher.js';
import { requestQuotes } from './quote.js';

/** Options of {@link createFleetClient}; everything else comes from the environment ({@link clientEnv}). */
export interface FleetClientOptions {
  /** Variables read on top of `process.env` (topics, `ONLINE_URL`, …). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The Kafka client. @default one built from `KAFKA_*` */
  kafka?: KafkaClient;
  /** The schema registry. @default one built from `SCHEMA_REGISTRY_*` */
  registry?: Registry;
  /** @default pino at `LOG_LEVEL`, service `client` */
  logger?: Logger;
  /** Check each ride against the contract before it is published. @default true */
  validate?: boolean;
  /** Timeout of {@link FleetClient.awaitDecision} when the call gives none. @default 30000 */
  decisionTimeoutMs?: number;
  /** How long a quote may take. @default 10000 */
  quoteTimeoutMs?: number;
  /** Consumer group of the decisions listener. @default `fleet.backend.<random>` (the backend's ACL prefix) */
  groupId?: string;
  /** Decisions remembered for an `awaitDecision` called after its decision arrived. @default 10000 */
  rememberDecisions?: number;
  /**
   * Where each published ride's trace starts (`publish` spans, service `backend`).
   * @default from `OTEL_TRACES_EXPORTER` (none unless set), stopped by `close()`
   */
  tracing?: Tracing;
}

/** What a backend needs from the fleet, without wiring Kafka and the registry itself. */
export interface FleetClient {
  readonly config: ClientConfig;
  /**
   * Publishes rides as `ride_started` (one request, keyed by `ride_id`), each checked against
   * the contract first; resolves once the broker acknowledged them.
   * @throws FleetError FLEET_VALIDATION_FAILED naming the ride and field (nothing is sent).
   */
  publish(rides: RideStarted | readonly RideStarted[]): Promise<void>;
  /**
   * Connects the publisher now (producer, the ride schema's id, the topic's partitions),
   * which `publish` otherwise does on its first call: the first rides then wait for nothing.
   */
  connect(): Promise<void>;
  /**
   * The stream's decision of a ride published after this client was created.
   * @throws FleetError FLEET_DECISION_TIMEOUT after `timeoutMs`, FLEET_CLIENT_CLOSED on close.
   */
  awaitDecision(rideId: string, options?: { timeoutMs?: number }): Promise<ReceivedDecision>;
  /** Calls `onDecision` with every decision from now on; resolves to the unsubscribe function. */
  subscribe(onDecision: (decision: ReceivedDecision) => void): Promise<() => void>;
  /**
   * Quotes before booking, over HTTP (`ONLINE_URL`, `POST /v1/quote`): the same answer the
   * stream decides for the ride. One ride → one quote; a list → the quotes in order.
   * @throws FleetError FLEET_VALIDATION_FAILED / FLEET_INPUT_INVALID naming the field,
   *   FLEET_OVERLOADED (retry after `retryAfterSec`), FLEET_ONLINE_UNAVAILABLE.
   */
  quote(ride: QuoteRide): Promise<RideQuote>;
  quote(rides: readonly QuoteRide[]): Promise<RideQuote[]>;
  /** Stops listening, rejects pending `awaitDecision` calls, disconnects. */
  close(): Promise<void>;
}

/** How far back the decisions listener reads: clock skew between this host and the decision service. */
const CLOCK_MARGIN_MS = 10_000;

/** An async start made once, however many callers ask; `started` says whether anyone did. */
interface Once<T> {
  (): Promise<T>;
  started(): Promise<T> | undefined;
}

function once<T>(start: () => Promise<T>): Once<T> {
  let started: Promise<T> | undefined;
  const get = () => (started ??= start());
  return Object.assign(get, { started: () => started });
}

/**
 * A client of the fleet for a backend: publish rides, await or subscribe to their decisions,
 * get quotes. Nothing connects until it is used (or `connect()` is called); the decisions
 * listener (a consumer group of its own) starts on the first `awaitDecision` or `subscribe`
 * and reads every decision made since the client was created.
 * @throws FleetError FLEET_CONFIG_INVALID naming the bad variable.
 */
export function createFleetClient(options: FleetClientOptions = {}): FleetClient {
  const config = loadConfig(clientEnv, options.env ? { ...process.env, ...options.env } : process.env);
  const logger = options.logger ?? createLogger({ service: 'client', level: config.logLevel });
  for (const warning of securityWarnings(config)) logger.warn(warning);
  const kafka = options.kafka ?? createKafkaClient(kafkaConnection(config, 'client'), logger);
  const registry = options.registry ?? createRegistry(registryConnection(config));
  const tracing = options.tracing ?? createTracing(tracingSettings(config, 'backend'));
  const createdAt = Date.now();
  const hub = createDecisionHub(options.rememberDecisions ?? 10_000);
  let closed = false;
  const publisher = once<RidePublisher>(() =>
    createRidePublisher(kafka, registry, config.topicRides, { validate: options.validate, tracing }),
  );
  const listener = once<DecisionListener>(async () => {
    const l = await createDecisionListener({
      kafka,
      registry,
      logger,
      topic: config.topicDecisions,
      groupId: options.groupId,
      fromTimestampMs: createdAt - CLOCK_MARGIN_MS,
      onDecision: (d) => hub.offer(d),
    });
    await l.start();
    return l;
  });
  const open = (): void => {
    if (closed) throw new FleetError('FLEET_CLIENT_CLOSED', 'the fleet client is closed');
  };
  const quoteOptions = { onlineUrl: config.onlineUrl, timeoutMs: options.quoteTimeoutMs ?? 10_000, tracing };

  return {
    config,
    async publish(rides) {
      open();
      await (await publisher()).publish(Array.isArray(rides) ? rides : [rides as RideStarted]);
    },
    async connect() {
      open();
      await publisher();
    },
    async awaitDecision(rideId, call = {}) {
      open();
      const waiting = hub.wait(rideId, call.timeoutMs ?? options.decisionTimeoutMs ?? 30_000);
      // It may reject (timeout, close) while the listener still joins: handled here, returned below.
      waiting.catch(() => undefined);
      await listener();
      return waiting;
    },
    async subscribe(onDecision) {
      open();
      await listener();
      return hub.subscribe(onDecision);
    },
    quote: (async (rides: QuoteRide | readonly QuoteRide[]) => {
      open();
      if (!Array.isArray(rides)) return requestQuotes(rides as QuoteRide, quoteOptions);
      return ((await requestQuotes({ rides }, quoteOptions)) as { quotes: RideQuote[] }).quotes;
    }) as FleetClient['quote'],
    async close() {
      if (closed) return;
      closed = true;
      hub.close();
      await Promise.all([listener.started()?.then((l) => l.stop()), publisher.started()?.then((p) => p.close())]).catch(
        (err: unknown) => logger.warn({ err }, 'closing the fleet client'),
      );
      if (!options.tracing) await tracing.shutdown();
    },
  };
}
