import { FleetError, isModelName, MODEL_NAMES } from '@fleet/contract';
import {
  andThen,
  componentLogger,
  consumerSettings,
  createBatchHandler,
  createStreamService,
  createTopicSerde,
  dlqTopic,
  systemClock,
  type Clock,
  type Decoded,
  type FleetMetrics,
  type KafkaClient,
  type Logger,
  type Membership,
  type ProcessOutcome,
  type RecordBatch,
  type Registry,
  type StreamService,
  type Tracing,
} from '@fleet/core';
import { createDecisionState, settle, type DecisionState } from './decision-state.js';
import type { DecisionConfig } from './env.js';
import { noticePause, startExpiryTimer, stopExpiryTimer } from './join-expiry.js';
import { ensureRestored, readBackAtAssignment } from './past-decisions.js';
import type { Prediction, RideDecision } from './types.js';

/** What the decision service is built from. */
export interface DecisionDeps {
  kafka: KafkaClient;
  registry: Registry;
  logger: Logger;
  /** Counts batches, decisions and rebalances when given. */
  metrics?: FleetMetrics;
  /** Observes each decision once the broker acknowledged it. */
  onDecision?: (decision: RideDecision) => void;
  /** Join timeouts, dedupe expiry and `decided_at`. @default the system clock */
  clock?: Clock;
  /** Spans per ride (decode, join, produce), continuing the traces of its predictions. @default none */
  tracing?: Tracing;
}

/**
 * The decision service: joins the three predictions of each ride and publishes exactly one
 * `ride_decision`. Offsets advance only past rides whose decision the broker acknowledged,
 * and the decisions of the partitions it takes over are read back first, so neither a
 * restart nor a rebalance loses a ride or decides it twice.
 */
export async function createDecisionService(config: DecisionConfig, deps: DecisionDeps): Promise<StreamService> {
  const log = componentLogger(deps.logger, 'decision');
  const clock = deps.clock ?? systemClock;
  const [predictionSerde, decisionSerde] = await Promise.all([
    createTopicSerde<Prediction>(deps.registry, config.topicPredictions, 'prediction', log),
    createTopicSerde<RideDecision>(deps.registry, config.topicDecisions, 'ride_decision', log),
  ]);
  const s = createDecisionState(config, deps, log, clock, decisionSerde);
  return createStreamService({
    kafka: deps.kafka,
    logger: log,
    inputTopic: config.topicPredictions,
    outputTopics: [config.topicDecisions],
    consumer: {
      groupId: config.groupId,
      ...consumerSettings(config),
    },
    handler: (p) =>
      createBatchHandler<Prediction>({
        service: 'decision',
        groupId: config.groupId,
        dlqTopic: dlqTopic(config.topicPredictions),
        producer: p,
        logger: log,
        decode: (record) => andThen(predictionSerde.decode(record.value), decodePrediction),
        process: (items, batch) => joinBatch(s, items, batch),
        onBatch: (report) => deps.metrics?.observeBatch(report),
        tracing: deps.tracing,
      }),
    metrics: deps.metrics,
    onAssignment: (assignment, membership) => onAssignment(s, assignment, membership),
    // After a crash the member may have left its group (kafkajs leaves, then rejoins), and
    // another member decide its rides: a degraded decision here would be a second one.
    onMembershipLost: () => s.table.suspendExpiry(),
    onMembershipKept: () => s.table.resumeExpiry(),
    onStart: (p) => startExpiryTimer(s, p),
    onStop: () => stopExpiryTimer(s),
  });
}

/** Joins the predictions of one batch: the decisions they complete, and those of the joins that timed out. */
async function joinBatch(s: DecisionState, items: Decoded<Prediction>[], batch: RecordBatch): Promise<ProcessOutcome> {
  noticePause(s);
  await ensureRestored(s, batch.partition, batch.records[0].timestamp);
  const now = s.clock();
  const decisions: RideDecision[] = s.table.expire(now);
  for (const { record, value } of items) {
    const result = s.table.offer(value, record.partition, record.offset, now);
    if (result.kind === 'pending' || result.kind === 'decided') s.traces.offered(value.ride_id, record.headers);
    if (result.kind === 'decided') decisions.push(result.decision);
    else if (result.kind === 'late' || result.kind === 'duplicate' || result.kind === 'shadow')
      s.log.debug({ rideId: value.ride_id, kind: result.kind }, 'prediction ignored');
  }
  const last = batch.records[batch.records.length - 1].offset;
  return {
    outputs: [{ topic: s.config.topicDecisions, records: decisions.map(s.toRecord) }],
    failed: [],
    onProduced: () => settle(s, decisions),
    onFailed: () => s.table.reopen(decisions.map((d) => d.ride_id)),
    commitOffset: () => {
      const low = s.table.lowWatermark(batch.partition);
      return low === null ? last : (low - 1n).toString();
    },
  };
}

/** The group assigned the service `assignment`: what it asks first is done before it is ready. */
function onAssignment(
  s: DecisionState,
  assignment: Record<string, number[]>,
  { continued }: Membership,
): void | Promise<void> {
  const mine = new Set(assignment[s.config.topicPredictions] ?? []);
  // A member back under a new id (its session expired) keeps no join: another member
  // may have owned its partitions meanwhile. Those it has again are read from their
  // committed offsets, which no unsettled ride's predictions are past.
  s.table.dropPartitions(continued ? mine : new Set());
  s.table.releaseExpiry();
  s.traces.prune();
  s.restored.clear();
  s.early = undefined;
  if (s.assignedBefore) return;
  s.assignedBefore = true;
  return readBackAtAssignment(s, mine);
}

/**
 * Largest magnitude of a prediction's value and bounds: far beyond any ride (minutes, USD),
 * and within the 32-bit integers a decision's minutes are written as.
 */
export const MAX_PREDICTION_MAGNITUDE = 1_000_000;

/**
 * A prediction of a model the decision does not join (a typo, a retired model) would wait
 * for nothing, and one whose value or bounds are not finite numbers of a sane size would
 * make a decision that cannot be written (its minutes are 32-bit integers), failing every
 * decision published with it: both are refused into `predictions.dlq` with their code.
 */
function decodePrediction(p: Prediction): Prediction {
  if (!isModelName(p.model)) {
    throw new FleetError(
      'FLEET_UNKNOWN_MODEL',
      `prediction of ride ${p.ride_id} names model "${p.model}"; the decision joins ${MODEL_NAMES.join(', ')}`,
      { context: { model: p.model } },
    );
  }
  for (const field of ['value', 'lower', 'upper'] as const) {
    const v = p[field];
    if (v === null || v === undefined || (Number.isFinite(v) && Math.abs(v) <= MAX_PREDICTION_MAGNITUDE)) continue;
    throw new FleetError(
      'FLEET_VALIDATION_FAILED',
      `prediction of ride ${p.ride_id} (${p.model}) has ${field} ${v}, not a finite number within ±${MAX_PREDICTION_MAGNITUDE}`,
      { context: { field, model: p.model } },
    );
  }
  return p;
}
