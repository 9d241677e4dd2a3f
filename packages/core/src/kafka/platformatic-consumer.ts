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
import { PartitionBuffers, type TakenBatch } from './partition-buffers.js';
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
 * - The stream ends on a fetch that failed for good (the broker away past the retries): a
 *   new stream is opened after a backoff, from the committed offsets, buffered records kept.
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
  let failures = 0;
  let streamFailures = 0;
  let retryTimer: NodeJS.Timeout | undefined;

  consumer.on('consumer:group:join', (payload) => {
    const assignment = assignmentRecord(payload.assignments);
    for (const key of buffers.keepOnly(assignment)) log.debug({ partition: key }, 'partition taken away');
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
    for (const t of result.responses) {
      const topic = topicNames.get(t.topicId);
      if (topic) for (const p of t.partitions) watermarks.set(`${topic}:${p.partitionIndex}`, String(p.highWatermark));
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
    const opened = await consumer.consume({
      topics,
      mode: 'committed',
      fallbackMode: (options.fromBeginning ?? true) ? 'earliest' : 'latest',
      autocommit: false,
      maxWaitTime: options.maxWaitTimeMs ?? 100,
      maxBytesPerPartition: maxBytes,
      minBytes: options.minBytes ?? 1,
    });
    stream = opened;
    opened.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => {
      buffers.push(incoming(m));
      // Holding at most a few fetches' worth keeps memory bounded while batches are slow.
      if (buffers.bytes > 4 * maxBytes) opened.pause();
      schedulePump();
    });
    opened.on('error', (err: unknown) => void streamFailed(opened, err));
    const metadata = await consumer.metadata({ topics });
    for (const [name, topic] of metadata.topics) topicNames.set(topic.id, name);
  }

  async function streamFailed(failed: MessagesStream<Buffer, Buffer, Buffer, Buffer>, err: unknown): Promise<void> {
    if (state !== 'running' || stream !== failed) return;
    stream = undefined;
    const error = toFleetError(err, `fetch from ${topics.join(', ')}`, user);
    crash(error, isRetriable(error));
    if (state !== 'running') return;
    const delayMs = backoffDelay(Math.min(streamFailures++, 6), BATCH_RETRY);
    log.warn({ err: error, delayMs }, 'the consumer stream ended; opening a new one');
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (state !== 'running') return;
    try {
      await openStream();
    } catch (openErr) {
      await streamFailed(failed, openErr);
    }
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
    if (at !== undefined && !retryTimer) {
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        pump();
      }, at - Date.now());
    }
  }

  async function handle(taken: TakenBatch): Promise<void> {
    const generation = consumer.generationId;
    const { topic, partition, records } = taken;
    const last = records[records.length - 1].offset;
    const batch: RecordBatch = {
      topic,
      partition,
      records,
      highWatermark: watermarks.get(`${topic}:${partition}`) ?? (BigInt(last) + 1n).toString(),
    };
    const control: BatchControl = {
      heartbeat: async () => {
        if (consumer.generationId !== generation || !consumer.isActive()) throw new Rebalancing();
      },
      isStale: () => !assignmentRecord(consumer.assignments)[topic]?.includes(partition),
      commit: (offset) => commit(topic, partition, offset),
    };
    try {
      await handler!(batch, control);
      buffers.done(taken);
      failures = 0;
      streamFailures = 0;
    } catch (err) {
      if (!isRetriable(err)) {
        buffers.done(taken);
        crash(err, false);
        return;
      }
      const rebalancing = err instanceof Rebalancing;
      const delayMs = rebalancing ? 0 : backoffDelay(Math.min(failures++, 6), BATCH_RETRY);
      buffers.retry(taken, Date.now() + delayMs);
      if (!rebalancing) log.warn({ err, topic, partition, delayMs }, 'batch failed; it will be handled again');
      // As kafkajs does once its retries of a batch run out: report it, and go on retrying.
      if (failures > retries) {
        failures = 0;
        crash(err, true);
      }
    }
  }

  // As on kafkajs: one OffsetCommit in flight, the offsets handed in meanwhile in the next.
  const commits = createCommitQueue(
    (offsets) =>
      consumer
        .commit({
          offsets: offsets.map((o) => ({ ...o, offset: BigInt(o.offset) + 1n, leaderEpoch: -1 })),
        })
        .catch((err: unknown) => log.warn({ err, offsets }, 'commit failed; records will be read again')),
    { minIntervalMs: options.commitIntervalMs },
  );
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
      consumerFetchesChannel.asyncStart.unsubscribe(onFetched);
      await stream?.close().catch((err: unknown) => log.debug({ err }, 'closing the stream failed'));
      await consumer.close().catch((err: unknown) => log.debug({ err }, 'closing the consumer failed'));
    },
  };
}
