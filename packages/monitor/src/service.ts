import {
  validateRide,
  type ModelHealthRecord,
  type PredictionRecord,
  type RideCompleted,
  type RideStarted,
} from '@fleet/contract';
import {
  andThen,
  componentLogger,
  consumerSettings,
  createBatchHandler,
  createStreamService,
  createTopicSerde,
  dlqTopic,
  systemClock,
  type BatchControl,
  type Clock,
  type Decoded,
  type FleetMetrics,
  type IncomingRecord,
  type KafkaClient,
  type Logger,
  type ProducerClient,
  type RecordBatch,
  type Registry,
  type StreamService,
  type Tracing,
} from '@fleet/core';
import type { MonitorConfig } from './env.js';
import { registerMonitorMetrics } from './metrics.js';
import { MonitorState, type KnownVersion } from './monitor-state.js';
import { validateOutcome } from './outcome.js';

/** What the monitor service is built from. */
export interface MonitorDeps {
  kafka: KafkaClient;
  registry: Registry;
  logger: Logger;
  /** The model versions known from their cards, with their reference distributions. */
  known: readonly KnownVersion[];
  /** Batch metrics, plus the monitor's figures on the same registry, when given. */
  metrics?: FleetMetrics;
  /** Windows slide on it. @default the system clock */
  clock?: Clock;
  /** Decode spans of the records it reads. @default none */
  tracing?: Tracing;
  /** Observes each group of model_health records once the broker acknowledged it. */
  onHealth?: (records: readonly ModelHealthRecord[]) => void;
}

/** The monitor: a stream service whose figures can be read at any time. */
export interface MonitorService extends StreamService {
  /** The health of every model version the monitor knows, per window, now. */
  health(): ModelHealthRecord[];
}

type Handler = (batch: RecordBatch, control: BatchControl) => Promise<void>;

/**
 * The monitor service: one consumer group reading `predictions`, `ride_completed` and
 * `ride_started`, joining each ride's predictions with its outcome (live MAE, bias and
 * outcome share per model version and window) and binning predictions and inputs against
 * the cards' reference distributions (PSI, missing values). The figures are on `/metrics` and
 * published as `model_health` records every `MONITOR_PUBLISH_INTERVAL_MS`. Windows go by
 * the records' own times (a prediction's `predicted_at`, an outcome's or ride's
 * `event_time`), so history read by a new group lands where it happened, or nowhere. Bad `ride_completed` records go to `ride_completed.dlq`; bad records of the other two
 * topics are their owners' to dead-letter, so the monitor only counts them.
 */
export async function createMonitorService(config: MonitorConfig, deps: MonitorDeps): Promise<MonitorService> {
  const log = componentLogger(deps.logger, 'monitor');
  const clock = deps.clock ?? systemClock;
  const [predictionSerde, completedSerde, rideSerde, healthSerde] = await Promise.all([
    createTopicSerde<PredictionRecord>(deps.registry, config.topicPredictions, 'prediction', log),
    createTopicSerde<RideCompleted>(deps.registry, config.topicCompleted, 'ride_completed', log),
    createTopicSerde<RideStarted>(deps.registry, config.topicRides, 'ride_started', log),
    createTopicSerde<ModelHealthRecord>(deps.registry, config.topicModelHealth, 'model_health', log),
  ]);
  const windowsMs = config.windowsSec.map((s) => s * 1000);
  const state = new MonitorState(
    {
      windowsMs,
      bucketMs: Math.max(1000, Math.floor(Math.min(...windowsMs) / 60)),
      psiWarning: config.psiWarning,
      psiAlert: config.psiAlert,
      minDriftRows: config.minDriftRows,
      joinTtlMs: config.joinTtlMs,
      maxPendingRides: config.maxPendingRides,
    },
    deps.known,
  );
  if (deps.metrics) {
    registerMonitorMetrics(deps.metrics.registry, {
      health: () => state.health(clock()),
      comparisons: () => state.comparisons(),
      livePredictions: state.livePredictions,
      get pendingRides() {
        return state.pendingRides;
      },
      results: state.results,
    });
  }
  let timer: NodeJS.Timeout | undefined;

  async function publish(producer: ProducerClient): Promise<void> {
    const records = state.health(clock());
    await producer.send([
      { topic: config.topicModelHealth, records: records.map((h) => ({ key: h.model, value: healthSerde.encode(h) })) },
    ]);
    deps.onHealth?.(records);
  }

  function handlers(producer: ProducerClient): Record<string, Handler> {
    const handler = <T>(dlq: string | null, decode: (r: IncomingRecord) => T | Promise<T>, take: (v: T) => void) =>
      createBatchHandler<T>({
        service: 'monitor',
        groupId: config.groupId,
        dlqTopic: dlq,
        producer,
        logger: log,
        decode,
        process: async (items: Decoded<T>[]) => {
          for (const { value } of items) take(value);
          state.expire(clock());
          return { outputs: [], failed: [] };
        },
        onBatch: (report) => deps.metrics?.observeBatch(report),
        tracing: deps.tracing,
      });
    return {
      [config.topicPredictions]: handler(
        null,
        (r) => predictionSerde.decode(r.value),
        (p) => state.prediction(p, clock()),
      ),
      [config.topicCompleted]: handler(
        dlqTopic(config.topicCompleted),
        (r) => andThen(completedSerde.decode(r.value), validateOutcome),
        (o) => state.outcome(o, clock()),
      ),
      [config.topicRides]: handler(
        null,
        (r) => andThen(rideSerde.decode(r.value), (ride) => validateRide(ride)),
        (ride) => state.ride(ride, clock()),
      ),
    };
  }

  const service = createStreamService({
    kafka: deps.kafka,
    logger: log,
    inputTopic: [config.topicPredictions, config.topicCompleted, config.topicRides],
    // model_health is published on a timer that tolerates its absence: nothing to warm.
    outputTopics: [],
    consumer: {
      groupId: config.groupId,
      ...consumerSettings(config),
    },
    handler: (producer) => {
      const byTopic = handlers(producer);
      return (batch, control) => byTopic[batch.topic](batch, control);
    },
    metrics: deps.metrics,
    onStart: (producer) => {
      // Called again with a new producer after the service recovered from a crash.
      clearInterval(timer);
      timer = setInterval(() => {
        publish(producer).catch((err: unknown) => log.warn({ err }, 'could not publish model_health; next time'));
      }, config.publishIntervalMs);
    },
    onStop: async () => {
      clearInterval(timer);
    },
  });
  return Object.assign(service, { health: () => state.health(clock()) });
}
