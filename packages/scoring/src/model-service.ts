import { FleetError, isFleetError, validateRide, type PredictionRecord, type RideStarted } from '@fleet/contract';
import {
  andThen,
  componentLogger,
  createBatchHandler,
  createStreamService,
  createTopicSerde,
  dlqTopic,
  noTracing,
  nowMs,
  systemClock,
  type BatchReport,
  type Clock,
  type CommonConfig,
  type Decoded,
  type FleetMetrics,
  type KafkaClient,
  type Logger,
  type OutgoingRecord,
  type ProcessOutcome,
  type ConsumerSettings,
  type Registry,
  type StreamService,
  type Tracing,
} from '@fleet/core';
import type { Scorer } from './ride-model.js';

/** Settings of a model service beyond the common environment. */
export interface ModelServiceSettings extends ConsumerSettings {
  /** Consumer group, e.g. `fleet.duration`. */
  groupId: string;
  /** Upper bound of bytes fetched per partition, which bounds the rides per model call. */
  maxBytesPerPartition: number;
  /** Mark every prediction as a shadow version's (`fleet shadow`). @default false */
  shadow?: boolean;
}

/** What a model service is built from. */
export interface ModelServiceDeps {
  kafka: KafkaClient;
  registry: Registry;
  logger: Logger;
  scorer: Scorer;
  /** Batch, latency, rebalance and error metrics, when given. */
  metrics?: FleetMetrics;
  /** Observes each handled batch (tests, tools). */
  onBatch?: (report: BatchReport) => void;
  /** Stamps `predicted_at`. @default the system clock */
  clock?: Clock;
  /** Spans per ride (decode, score, produce), continuing the trace of its headers. @default none */
  tracing?: Tracing;
}

/**
 * A model service: consumes `ride_started` in its own group, scores each fetched batch in
 * one model call, and publishes one `prediction` per ride keyed by `ride_id`. Bad records
 * and rides the model cannot score go to `ride_started.dlq`. Each prediction carries the
 * ride's trace on in its `traceparent` header, from a `score` span of the ride.
 */
export async function createModelService(
  config: CommonConfig,
  settings: ModelServiceSettings,
  deps: ModelServiceDeps,
): Promise<StreamService> {
  const { scorer } = deps;
  // Everything but `shadow` is the group consumer's: settings the environment adds reach it.
  const { shadow = false, ...consumer } = settings;
  const clock = deps.clock ?? systemClock;
  const tracing = deps.tracing ?? noTracing;
  const log = componentLogger(deps.logger, `model-${scorer.name}`);
  const [rideSerde, predictionSerde] = await Promise.all([
    createTopicSerde<RideStarted>(deps.registry, config.topicRides, 'ride_started', log),
    createTopicSerde<PredictionRecord>(deps.registry, config.topicPredictions, 'prediction', log),
  ]);

  async function process(items: Decoded<RideStarted>[]): Promise<ProcessOutcome> {
    if (items.length === 0) return { outputs: [], failed: [] };
    const startedMs = nowMs();
    const scores = await scorer.score(items.map((i) => i.value));
    const endedMs = nowMs();
    const now = clock();
    const records: OutgoingRecord[] = [];
    const failed: ProcessOutcome['failed'] = [];
    const attributes = {
      'fleet.model': scorer.name,
      'fleet.model_version': scorer.version,
      'fleet.batch_size': items.length,
    };
    items.forEach(({ record, value: ride }, i) => {
      const value = scores.value[i];
      // One model call scores the batch: each ride's span is that call, in its own trace.
      const span = tracing.span('score', { parent: record.headers, startTimeMs: startedMs, attributes });
      if (!Number.isFinite(value)) {
        const error = new FleetError(
          'FLEET_MODEL_NON_FINITE_OUTPUT',
          `model ${scorer.name} returned ${value} for ride ${ride.ride_id}`,
          {
            context: { model: scorer.name },
          },
        );
        failed.push({ record, error });
        span.fail(error);
        span.end(endedMs);
        return;
      }
      span.end(endedMs);
      const prediction: PredictionRecord = {
        ride_id: ride.ride_id,
        model: scorer.name,
        model_version: scorer.version,
        value,
        unit: scorer.unit,
        event_time: ride.event_time,
        predicted_at: now,
        lower: finiteOrNull(scores.lower?.[i]),
        upper: finiteOrNull(scores.upper?.[i]),
        shadow,
      };
      records.push({ key: ride.ride_id, value: predictionSerde.encode(prediction), headers: span.headers });
      deps.metrics?.eventToOutput.observe((now - ride.event_time) / 1000);
    });
    return { outputs: [{ topic: config.topicPredictions, records }], failed };
  }

  return createStreamService({
    kafka: deps.kafka,
    logger: log,
    inputTopic: config.topicRides,
    outputTopics: [config.topicPredictions],
    metrics: deps.metrics,
    consumer,
    handler: (producer) =>
      createBatchHandler<RideStarted>({
        service: scorer.name,
        groupId: settings.groupId,
        dlqTopic: dlqTopic(config.topicRides),
        producer,
        logger: log,
        decode: (record) =>
          andThen(rideSerde.decode(record.value), (ride) => {
            if (record.key === null)
              throw new FleetError('FLEET_VALIDATION_FAILED', 'record has no key (ride_id expected)');
            return validateRide(ride);
          }),
        process: (items) => process(items).catch((err: unknown) => scoreFailure(err, items)),
        onBatch: (report) => {
          deps.metrics?.observeBatch(report);
          deps.onBatch?.(report);
        },
        tracing,
      }),
  });
}

/**
 * A failed model call sends the whole batch to the DLQ when the failure is about the input
 * (non-retriable); anything else is rethrown so the batch is fetched and scored again.
 */
function scoreFailure(err: unknown, items: Decoded<RideStarted>[]): ProcessOutcome {
  if (!isFleetError(err) || err.retriable) throw err;
  return { outputs: [], failed: items.map(({ record }) => ({ record, error: err })) };
}

/** An interval bound as the record carries it: null when absent or not finite. */
function finiteOrNull(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}
