import { randomBytes } from 'node:crypto';
import { BACKEND_GROUP_PREFIX, isRetriable, loadSchema, valueSubject, type RideDecisionRecord } from '@fleet/contract';
import {
  createRecoveryBackoff,
  createSerde,
  DEFAULT_COMMIT_INTERVAL_MS,
  isAccessError,
  type ConsumerClient,
  type KafkaClient,
  type Logger,
  type RecordBatch,
  type Registry,
  type Serde,
} from '@fleet/core';

/** A `ride_decision` as the backend receives it, with the ride→decision latency. */
export interface ReceivedDecision extends RideDecisionRecord {
  /** When the backend received it, epoch ms. */
  received_at: number;
  /** From `ride_started` (event_time) to receipt, in ms. */
  latency_ms: number;
}

/** A decisions listener. */
export interface DecisionListener {
  /** Joins a fresh group and resolves once it is consuming. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link createDecisionListener}. */
export interface DecisionListenerOptions {
  kafka: KafkaClient;
  registry: Registry;
  /** The decisions topic (`TOPIC_DECISIONS`). */
  topic: string;
  logger: Logger;
  onDecision: (decision: ReceivedDecision) => void;
  /** @default `fleet.backend.<random>` ({@link BACKEND_GROUP_PREFIX}, the backend's ACL), a group of its own */
  groupId?: string;
  /**
   * Decisions written from this time on (epoch ms) are handed over, older ones skipped.
   * @default the time of `start()` (what the topic held then is skipped)
   */
  fromTimestampMs?: number;
}

/**
 * Where the listener starts in each partition of `topic` (the end offsets, or the first at or
 * after `fromTimestampMs`), with `groupId` positioned there before it joins: it then reads
 * nothing older. A group with members running (backend instances sharing it) cannot be
 * moved and keeps its own position; what it reads before the start is skipped.
 */
async function positionGroup(
  kafka: KafkaClient,
  topic: string,
  groupId: string,
  fromTimestampMs: number | undefined,
  logger: Logger,
): Promise<Map<number, bigint>> {
  const admin = await kafka.admin();
  try {
    const offsets =
      fromTimestampMs === undefined
        ? await admin.fetchEndOffsets(topic)
        : await admin.fetchOffsetsByTime(topic, fromTimestampMs);
    try {
      await admin.setGroupOffsets(groupId, topic, offsets);
    } catch (err) {
      logger.debug(
        { err, groupId },
        'decision listener group not positioned (members running): reading from its offsets',
      );
    }
    return new Map(offsets.map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * The decisions of `batch` from offset `from` on, all decoded before any is handed over. A
 * record that cannot be decoded now (the registry unavailable, busy, refusing us) fails the
 * batch, which is fetched again, without the decisions before it handed over twice; one that
 * never can be is skipped.
 */
async function decodeDecisions(
  serde: Serde<RideDecisionRecord>,
  batch: RecordBatch,
  from: bigint,
  logger: Logger,
): Promise<RideDecisionRecord[]> {
  const decisions: RideDecisionRecord[] = [];
  for (const record of batch.records) {
    if (BigInt(record.offset) < from) continue;
    try {
      decisions.push(await serde.decode(record.value));
    } catch (err) {
      const where = { err, partition: batch.partition, offset: record.offset };
      if (isRetriable(err)) {
        logger.warn(where, 'decision not decodable for now: the batch is read again');
        throw err;
      }
      logger.warn(where, 'undecodable decision skipped');
    }
  }
  return decisions;
}

/**
 * Consumes the decisions topic in a group of its own and hands every decision made after
 * `start()` (or `fromTimestampMs`) to `onDecision`, with the ride→decision latency.
 */
export async function createDecisionListener(options: DecisionListenerOptions): Promise<DecisionListener> {
  const serde = await createSerde<RideDecisionRecord>(
    options.registry,
    valueSubject(options.topic),
    loadSchema('ride_decision'),
  );
  let consumer: ConsumerClient | undefined;
  let stopped = false;
  const backoff = createRecoveryBackoff();
  let waiting: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  let joined!: () => void;
  let refused!: (err: unknown) => void;
  const joinedOnce = new Promise<void>((resolve, reject) => ((joined = resolve), (refused = reject)));
  // Refused before start() awaits it: not an unhandled rejection meanwhile.
  joinedOnce.catch(() => undefined);

  /** Makes the consumer and runs it, handing over what `start` (per partition) and after it holds. */
  async function consume(groupId: string, start: Map<number, bigint>): Promise<void> {
    const made = await options.kafka.consumer({
      groupId,
      fromBeginning: true,
      // All partitions' batches at once: a listener that reads them one after another
      // adds its own wait to every decision it reports.
      partitionsConcurrently: 64,
      // As the services: a few commits a second, not one round trip per batch.
      commitIntervalMs: DEFAULT_COMMIT_INTERVAL_MS,
      onGroupJoin: () => joined(),
      onCrash: (err, restarting) => onCrash(err, restarting, groupId, start),
    });
    // Stopped while it was being made: closed here, never run.
    if (stopped) return made.disconnect().catch(() => undefined);
    consumer = made;
    backoff.started();
    await made.run([options.topic], async (batch, control) => {
      const receivedAt = Date.now();
      const from = start.get(batch.partition) ?? 0n;
      for (const d of await decodeDecisions(serde, batch, from, options.logger)) {
        options.onDecision({ ...d, received_at: receivedAt, latency_ms: receivedAt - d.event_time });
      }
      await control.commit(batch.records[batch.records.length - 1].offset);
    });
  }

  /**
   * The consumer crashed. A crash its client does not restart from (the member found out
   * of its group after a broker restart, say) would leave the listener silent for good:
   * the consumer is made again after a backoff, and reads on from the group's offsets.
   * Only a refusal by the broker's ACLs stops it for good, as it stops a service.
   */
  function onCrash(err: unknown, restarting: boolean, groupId: string, start: Map<number, bigint>): void {
    options.logger.error({ err, restarting }, 'decision listener: consumer crashed');
    // Refused by an ACL: no retry mends that (start() rejects with it, if still joining).
    if (isAccessError(err)) return refused(err);
    // As the services: the backoff starts over only after a stretch without a crash.
    backoff.crashed();
    if (!restarting && !stopped) void recover(groupId, start);
  }

  async function recover(groupId: string, start: Map<number, bigint>): Promise<void> {
    const crashed = consumer;
    consumer = undefined;
    await crashed?.disconnect().catch(() => undefined);
    const { delayMs, attempt } = backoff.next();
    options.logger.warn({ delayMs, attempt }, 'decision listener: re-creating its consumer');
    await new Promise<void>((wake) => (waiting = { timer: setTimeout(wake, delayMs), wake }));
    waiting = undefined;
    if (stopped) return;
    try {
      await consume(groupId, start);
    } catch (err) {
      options.logger.error({ err }, 'decision listener: re-creating its consumer failed; trying again');
      if (!stopped) void recover(groupId, start);
    }
  }

  return {
    async start() {
      const groupId = options.groupId ?? `${BACKEND_GROUP_PREFIX}${randomBytes(4).toString('hex')}`;
      // Positioned at `start` before it joins: a group starting at "latest" could miss
      // decisions made between the join and its first fetch, and one reading from the
      // beginning to skip what lies before `start` spent about a second of a demo's start decoding
      // the topic's history (days of decisions in production).
      const start = await positionGroup(options.kafka, options.topic, groupId, options.fromTimestampMs, options.logger);
      await consume(groupId, start);
      await joinedOnce;
    },
    async stop() {
      stopped = true;
      if (waiting) clearTimeout(waiting.timer);
      waiting?.wake();
      await consumer?.stop();
      await consumer?.disconnect();
    },
  };
}
