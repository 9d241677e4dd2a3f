import { FleetError, isModelName, MODEL_NAMES } from '@fleet/contract';
import {
  andThen,
  componentLogger,
  consumerSettings,
  createBatchHandler,
  createStreamService,
  createTopicSerde,
  dlqTopic,
  noTracing,
  systemClock,
  traceProduce,
  type Clock,
  type Decoded,
  type FleetMetrics,
  type KafkaClient,
  type Logger,
  type OutgoingRecord,
  type ProcessOutcome,
  type ProducerClient,
  type RecordBatch,
  type Registry,
  type StreamService,
  type Tracing,
} from '@fleet/core';
import type { DecisionConfig } from './env.js';
import { JoinTable } from './join-table.js';
import { JoinTraces } from './join-traces.js';
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
  const table = new JoinTable({ joinTimeoutMs: config.joinTimeoutMs, decidedTtlMs: config.decidedTtlMs });
  const traces = new JoinTraces(deps.tracing ?? noTracing, table);
  const restored = new Set<number>();
  // Reads of past decisions begun at the process's first assignment (see onAssignment).
  let early: { at: number; reads: Map<number, Promise<boolean>> } | undefined;
  let assignedBefore = false;
  let producer: ProducerClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  // The event loop's last sign of life, to notice that the process was paused.
  let aliveAt = performance.now();

  /**
   * A process paused for half its session timeout or more (SIGSTOP, a suspended VM, a long
   * GC pause) may have been dropped from its group, and its partitions' rides decided by
   * their new owner meanwhile. Its joins then time out only once the group said which
   * partitions are still its own (the next assignment), or a session timeout later (it was
   * not dropped): never at once on waking, before it heard of the rebalance.
   */
  function noticePause(): void {
    const at = performance.now();
    const pausedMs = at - aliveAt;
    aliveAt = at;
    if (pausedMs < config.sessionTimeoutMs / 2) return;
    table.holdExpiry(clock() + config.sessionTimeoutMs);
    log.warn(
      { pausedMs: Math.round(pausedMs), holdMs: config.sessionTimeoutMs },
      'the process was paused: no degraded decision until the group says which partitions are still its own',
    );
  }

  const toRecord = (d: RideDecision): OutgoingRecord => ({
    key: d.ride_id,
    value: decisionSerde.encode(d),
    headers: traces.decided(d, table.joinStartedAt(d.ride_id)),
  });

  /** Reads back the decisions of `partition` written since `fromMs` − the margin. */
  async function readBack(partition: number, fromMs: number, when: 'assignment' | 'first batch'): Promise<void> {
    const started = clock();
    const count = await deps.kafka.readPartition(
      config.topicDecisions,
      partition,
      fromMs - config.restoreMarginMs,
      (record) => {
        if (record.key) table.markDecided(record.key.toString(), started);
      },
    );
    log.info(
      { partition, decisionsRead: count, ms: clock() - started, when },
      'read back past decisions of the partition',
    );
  }

  /**
   * Before a partition's first batch is joined: the decisions that could concern its rides,
   * those written since the batch's first record − the margin. A read begun at the first
   * assignment covers them when that record is no older than the assignment; else (a
   * backlog) the partition is read again from the record's time.
   */
  async function ensureRestored(partition: number, firstRecordMs: number): Promise<void> {
    if (restored.has(partition)) return;
    const read = early && firstRecordMs >= early.at ? early.reads.get(partition) : undefined;
    if (!(read && (await read))) await readBack(partition, firstRecordMs, 'first batch');
    restored.add(partition);
  }

  async function process(items: Decoded<Prediction>[], batch: RecordBatch): Promise<ProcessOutcome> {
    noticePause();
    await ensureRestored(batch.partition, batch.records[0].timestamp);
    const now = clock();
    const decisions: RideDecision[] = table.expire(now);
    for (const { record, value } of items) {
      const result = table.offer(value, record.partition, record.offset, now);
      if (result.kind === 'pending' || result.kind === 'decided') traces.offered(value.ride_id, record.headers);
      if (result.kind === 'decided') decisions.push(result.decision);
      else if (result.kind === 'late' || result.kind === 'duplicate' || result.kind === 'shadow')
        log.debug({ rideId: value.ride_id, kind: result.kind }, 'prediction ignored');
    }
    const last = batch.records[batch.records.length - 1].offset;
    return {
      outputs: [{ topic: config.topicDecisions, records: decisions.map(toRecord) }],
      failed: [],
      onProduced: () => settle(decisions),
      onFailed: () => table.reopen(decisions.map((d) => d.ride_id)),
      commitOffset: () => {
        const low = table.lowWatermark(batch.partition);
        return low === null ? last : (low - 1n).toString();
      },
    };
  }

  function settle(decisions: RideDecision[]): void {
    const now = clock();
    for (const d of decisions) {
      const started = table.joinStartedAt(d.ride_id);
      if (started !== undefined)
        deps.metrics?.decisionJoin.observe({ complete: String(d.complete) }, (now - started) / 1000);
    }
    table.settle(decisions.map((d) => d.ride_id));
    traces.forget(decisions.map((d) => d.ride_id));
    for (const d of decisions) {
      deps.metrics?.decisions.inc({ complete: String(d.complete) });
      deps.metrics?.eventToOutput.observe((d.decided_at - d.event_time) / 1000);
      deps.onDecision?.(d);
    }
  }

  async function expireIdle(): Promise<void> {
    const now = clock();
    table.prune(now);
    const due = table.expire(now);
    if (due.length === 0 || !producer) return;
    const outputs = [{ topic: config.topicDecisions, records: due.map(toRecord) }];
    const produced = traceProduce(deps.tracing ?? noTracing, outputs);
    try {
      await producer.send(outputs);
    } catch (err) {
      produced(err);
      table.reopen(due.map((d) => d.ride_id));
      throw err;
    }
    produced();
    deps.metrics?.produced.inc(due.length);
    settle(due);
    log.info({ count: due.length }, 'degraded decisions after the join timeout');
  }

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
        process,
        onBatch: (report) => deps.metrics?.observeBatch(report),
        tracing: deps.tracing,
      }),
    metrics: deps.metrics,
    onAssignment: (assignment, { continued }) => {
      const mine = new Set(assignment[config.topicPredictions] ?? []);
      // A member back under a new id (its session expired) keeps no join: another member
      // may have owned its partitions meanwhile. Those it has again are read from their
      // committed offsets, which no unsettled ride's predictions are past.
      table.dropPartitions(continued ? mine : new Set());
      table.releaseExpiry();
      traces.prune();
      restored.clear();
      early = undefined;
      if (assignedBefore) return;
      assignedBefore = true;
      // A fresh process reads its partitions back now, not on each one's first batch (on
      // the path of the first rides), and reports ready once done. Record timestamps are
      // the producers' wall clock, hence Date.now(). A later rebalance reads on first
      // batches: its partitions' first records predate it, which a read from now misses.
      const at = Date.now();
      const reads = new Map(
        [...mine].map((partition) => [
          partition,
          readBack(partition, at, 'assignment').then(
            () => true,
            (err: unknown) => {
              log.warn({ err, partition }, 'could not read back past decisions yet; reading them on the first batch');
              return false;
            },
          ),
        ]),
      );
      early = { at, reads };
      return Promise.all(reads.values()).then(() => undefined);
    },
    // After a crash the member may have left its group (kafkajs leaves, then rejoins), and
    // another member decide its rides: a degraded decision here would be a second one.
    onMembershipLost: () => table.suspendExpiry(),
    onMembershipKept: () => table.resumeExpiry(),
    onStart: (p) => {
      // Called again with a new producer after the service recovered from a crash.
      clearInterval(timer);
      producer = p;
      aliveAt = performance.now(); // connecting is no pause
      const every = Math.max(10, Math.min(250, Math.floor(config.joinTimeoutMs / 4)));
      timer = setInterval(() => {
        noticePause();
        expireIdle().catch((err: unknown) => log.error({ err }, 'failed to publish degraded decisions; retrying'));
      }, every);
    },
    onStop: async () => {
      clearInterval(timer);
      await expireIdle().catch((err: unknown) =>
        log.warn({ err }, 'could not publish the degraded decisions due at shutdown; the next owner decides them'),
      );
    },
  });
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
