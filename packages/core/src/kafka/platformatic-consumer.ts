import {
  Consumer,
  consumerFetchesChannel,
  type ConsumerOptions as LibraryConsumerOptions,
  type GroupAssignment,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { FleetError, isRetriable } from '@fleet/contract';
import type { Logger } from '../logger.js';
import { backoffDelay } from '../retry.js';
import { createCommitQueue } from './commit-queue.js';
import { partitionKey, PartitionBuffers, type TakenBatch } from './partition-buffers.js';
import { incoming } from './platformatic-records.js';
import { saslUser, toFleetError } from './platformatic-errors.js';
import type { BatchControl, ConsumerClient, ConsumerOptions, RecordBatch } from './types.js';

type Base = Omit<LibraryConsumerOptions<Buffer, Buffer, Buffer, Buffer>, 'groupId'>;
type Handler = (batch: RecordBatch, control: BatchControl) => Promise<void>;
/** What the reader of the fetch channel needs of a fetch answer. */
interface FetchAnswer {
  responses: Array<{ topicId: string; partitions: Array<{ partitionIndex: number; highWatermark: bigint }> }>;
}

/** Raised inside a batch when a rebalance started after it was handed out. */
class Rebalancing extends FleetError {
  constructor() {
    super('FLEET_KAFKA_UNAVAILABLE', 'the group is rebalancing; the batch will be handled again');
  }
}

/** Backoff of a failed batch (the kafkajs seam's retry settings) and of a failed stream. */
const BATCH_RETRY = { initialDelayMs: 300, maxDelayMs: 30_000 } as const;

const assignmentRecord = (assignments: readonly GroupAssignment[] | null | undefined): Record<string, number[]> =>
  Object.fromEntries((assignments ?? []).map((a) => [a.topic, [...a.partitions]]));

/**
 * The seam's group consumer on @platformatic/kafka, in the shape of kafkajs' `eachBatch`.
 * The library hands over records one at a time from a stream that keeps fetching; they are
 * buffered per partition ({@link PartitionBuffers}) and handed to `handler` as batches, one
 * per partition at a time, up to `partitionsConcurrently` partitions at once. Where the
 * library differs from kafkajs:
 * - It heartbeats on its own timer, whatever the handler does, so `heartbeat()` sends
 *   nothing; it throws when a rebalance began since the batch was handed out (kafkajs'
 *   heartbeat answers REBALANCE_IN_PROGRESS there), so a batch never produces for a
 *   partition another member may already own.
 * - It rejoins at once when a heartbeat hears of a rebalance, without waiting for the
 *   running batches; after the join it re-reads each partition from its committed offset.
 *   A fetch answered after that re-read may still move the position past records buffered
 *   here, so a failed batch is not fetched again: its records go back to the front of
 *   their partition (retried with backoff like kafkajs retries `eachBatch`), and only
 *   partitions the group took away are dropped.
 * - A fetch sent before a join may be answered after it, and the join's re-read brings a
 *   kept partition's records again from its committed offset: records of partitions the
 *   join took away are dropped, and so are a kept partition's below the last one buffered
 *   ({@link PartitionBuffers.push}): a partition's records are handed out in order, once each.
 * - The stream ends on a fetch that failed for good (the broker away past the retries): a
 *   new stream is opened after a backoff, from the committed offsets, buffered records kept.
 *   After `retries` such failures in a row (no fetch answered in between), or on one no
 *   retry fixes, the consumer crashes for good: the service re-creates its clients.
 */
export async function connectPlatformaticConsumer(
  base: Base,
  options: ConsumerOptions,
  log: Logger,
  retries = 8,
): Promise<ConsumerClient> {
  const sessionTimeout = options.sessionTimeoutMs ?? 30000;
  const group = {
    sessionTimeout,
    // Also how soon a member learns of a rebalance (in the heartbeat's answer), as with kafkajs.
    heartbeatInterval: 1000,
    rebalanceTimeout: Math.max(60_000, sessionTimeout),
  };
  const consumer = new Consumer({ ...base, ...group, groupId: options.groupId, autocommit: false });
  const maxBytes = options.maxBytesPerPartition ?? 1048576;
  const buffers = new PartitionBuffers(maxBytes);
  const concurrency = Math.max(1, options.partitionsConcurrently ?? 1);
  const watermarks = new Map<string, string>();
  const topicNames = new Map<string, string>();
  let handler: Handler | undefined;
  let topics: string[] = [];
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  let state: 'new' | 'running' | 'stopping' | 'crashed' = 'new';
  let active = 0;
  const inflight = new Set<Promise<void>>();
  // Failed attempts in a row of the batch at the head of each partition.
  const failures = new Map<string, number>();
  let streamFailures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryAt = Number.POSITIVE_INFINITY;
  let reopenTimer: NodeJS.Timeout | undefined;

  // As on kafkajs: one OffsetCommit in flight, the offsets handed in meanwhile in the next.
  const commits = createCommitQueue(
    (offsets) =>
      consumer
        .commit({
          offsets: offsets.map((o) => ({ ...o, offset: BigInt(o.offset) + 1n, leaderEpoch: -1 })),
        })
        .catch((err: unknown) => {
          log.warn({ err, offsets }, 'commit failed; it goes with the next one');
          throw err;
        }),
    { minIntervalMs: options.commitIntervalMs },
  );

  // The member id of the last join: a member back under a new one lost its session meanwhile.
  let memberId: string | undefined;
  consumer.on('consumer:group:join', (payload) => {
    const assignment = assignmentRecord(payload.assignments);
    if (memberId !== undefined && payload.memberId !== memberId) {
      // Its session expired: another member may have handled (and committed past) what it
      // had buffered or not yet committed. All of it goes; the partitions it gets back are
      // read again from their committed offsets.
      buffers.keepOnly({});
      commits.retain({});
      log.warn({ before: memberId, now: payload.memberId }, 'back in the group under a new member id');
    }
    memberId = payload.memberId;
    for (const key of buffers.keepOnly(assignment)) {
      failures.delete(key);
      log.debug({ partition: key }, 'partition taken away');
    }
    commits.retain(assignment);
    options.onGroupJoin?.(assignment, payload.memberId);
    resumeWhenDrained();
    pump();
  });
  // The library emits `error` when it could not rejoin the group after its retries; without
  // a listener that would end the process. Like a kafkajs crash without restart: the
  // service re-creates the consumer.
  const user = saslUser(base);
  consumer.on('error', (err: unknown) => crash(toFleetError(err, `stay in group ${options.groupId}`, user), false));

  // The high watermark of each partition comes with the fetch answers, which the library
  // does not pass to its records: read them from its diagnostics channel.
  const onFetched = (ctx: unknown): void => {
    const { client, result } = ctx as { client?: unknown; result?: FetchAnswer };
    if (client !== consumer || !result) return;
    streamFailures = 0;
    for (const t of result.responses) {
      const topic = topicNames.get(t.topicId);
      if (topic)
        for (const p of t.partitions) watermarks.set(partitionKey(topic, p.partitionIndex), String(p.highWatermark));
    }
  };
  consumerFetchesChannel.asyncStart.subscribe(onFetched);

  function crash(err: unknown, restarting: boolean): void {
    if (state !== 'running') return;
    options.onCrash?.(err, restarting);
    if (restarting) return;
    state = 'crashed';
    buffers.clear();
    void stream?.close().catch((closeErr: unknown) => log.debug({ err: closeErr }, 'closing the stream failed'));
  }

  async function openStream(): Promise<void> {
    const metadata = await consumer.metadata({ topics });
    for (const [name, topic] of metadata.topics) topicNames.set(topic.id, name);
    const opened = await consumer.consume({
      topics,
      mode: 'committed',
      fallbackMode: (options.fromBeginning ?? true) ? 'earliest' : 'latest',
      autocommit: false,
      maxWaitTime: options.maxWaitTimeMs ?? 100,
      maxBytesPerPartition: maxBytes,
      minBytes: options.minBytes ?? 1,
    });
    opened.on('error', (err: unknown) => streamFailed(opened, err));
    if (state !== 'running') {
      // Stopped while this stream was being opened.
      await opened.close().catch((err: unknown) => log.debug({ err }, 'closing the stream failed'));
      return;
    }
    stream = opened;
    opened.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => {
      if (!buffers.push(incoming(m))) return;
      // Holding at most a few fetches' worth keeps memory bounded while batches are slow.
      if (buffers.bytes > 4 * maxBytes) opened.pause();
      schedulePump();
    });
  }

  function streamFailed(failed: MessagesStream<Buffer, Buffer, Buffer, Buffer>, err: unknown): void {
    if (state !== 'running' || stream !== failed) return;
    stream = undefined;
    reopenLater(err);
  }

  /** Opens a new stream after a backoff; crashes for good past the retries or on a refusal. */
  function reopenLater(err: unknown): void {
    if (state !== 'running') return;
    const error = toFleetError(err, `fetch from ${topics.join(', ')}`, user);
    if (!isRetriable(error) || streamFailures >= retries) return crash(error, false);
    crash(error, true);
    const delayMs = backoffDelay(Math.min(streamFailures++, 6), BATCH_RETRY);
    log.warn({ err: error, delayMs }, 'the consumer stream ended; opening a new one');
    reopenTimer = setTimeout(() => {
      reopenTimer = undefined;
      if (state === 'running') openStream().catch(reopenLater);
    }, delayMs);
  }

  /** Fetching again once the buffers hold at most two fetches' worth (paused above four). */
  function resumeWhenDrained(): void {
    if (stream?.isPaused() && buffers.bytes <= 2 * maxBytes) stream.resume();
  }

  let pumpScheduled = false;
  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    // After the current fetch's records have all arrived: one batch per partition and fetch.
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  }

  function pump(): void {
    if (state !== 'running' || !handler || !consumer.isActive()) return;
    while (active < concurrency) {
      const taken = buffers.take(Date.now());
      if (!taken) break;
      active++;
      const run = handle(taken).finally(() => {
        active--;
        inflight.delete(run);
        resumeWhenDrained();
        pump();
      });
      inflight.add(run);
    }
    const at = buffers.nextRetryAt(Date.now());
    if (at !== undefined && at < retryAt) {
      clearTimeout(retryTimer);
      retryAt = at;
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        retryAt = Number.POSITIVE_INFINITY;
        pump();
      }, at - Date.now());
    }
  }

  async function handle(taken: TakenBatch): Promise<void> {
    const generation = consumer.generationId;
    const member = consumer.memberId;
    const { topic, partition, records } = taken;
    const key = partitionKey(topic, partition);
    const last = records[records.length - 1].offset;
    const batch: RecordBatch = {
      topic,
      partition,
      records,
      highWatermark: watermarks.get(key) ?? (BigInt(last) + 1n).toString(),
    };
    const control: BatchControl = {
      heartbeat: async () => {
        if (consumer.generationId !== generation || !consumer.isActive()) throw new Rebalancing();
      },
      isStale: () =>
        consumer.memberId !== member || !assignmentRecord(consumer.assignments)[topic]?.includes(partition),
      commit: (offset) => commit(topic, partition, offset),
    };
    try {
      await handler!(batch, control);
      buffers.done(taken);
      failures.delete(key);
      streamFailures = 0;
    } catch (err) {
      if (!isRetriable(err)) {
        buffers.done(taken);
        crash(err, false);
        return;
      }
      if (err instanceof Rebalancing) {
        buffers.retry(taken, Date.now());
        return;
      }
      const failed = (failures.get(key) ?? 0) + 1;
      failures.set(key, failed);
      const delayMs = backoffDelay(Math.min(failed - 1, 6), BATCH_RETRY);
      buffers.retry(taken, Date.now() + delayMs);
      log.warn({ err, topic, partition, delayMs }, 'batch failed; it will be handled again');
      // As kafkajs does once its retries of a batch run out: report it, and go on retrying.
      if (failed > retries) {
        failures.delete(key);
        crash(err, true);
      }
    }
  }

  // While stopping, the last batch's commit must land before the group is left.
  function commit(topic: string, partition: number, offset: string): Promise<void> {
    return commits.commit({ topic, partition, offset }, state !== 'running');
  }

  return {
    async run(subscribed, batchHandler) {
      topics = subscribed;
      handler = batchHandler;
      state = 'running';
      try {
        await openStream();
      } catch (err) {
        state = 'new';
        throw toFleetError(err, `read ${subscribed.join(', ')} in consumer group ${options.groupId}`, user);
      }
    },
    async stop() {
      if (state === 'stopping') return;
      state = 'stopping';
      clearTimeout(retryTimer);
      clearTimeout(reopenTimer);
      await stream?.close().catch((err: unknown) => log.debug({ err }, 'closing the stream failed'));
      await Promise.allSettled([...inflight]);
      buffers.clear();
      await commits.flushNow();
      // Leaves the group now, so its partitions move on without waiting for the session timeout.
      await consumer.close().catch((err: unknown) => log.warn({ err }, 'leaving the group failed'));
      options.onStop?.();
    },
    async disconnect() {
      clearTimeout(retryTimer);
      clearTimeout(reopenTimer);
      consumerFetchesChannel.asyncStart.unsubscribe(onFetched);
      await stream?.close().catch((err: unknown) => log.debug({ err }, 'closing the stream failed'));
      await consumer.close().catch((err: unknown) => log.debug({ err }, 'closing the consumer failed'));
    },
  };
}
