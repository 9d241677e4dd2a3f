import {
  Consumer,
  type ConsumerOptions as LibraryConsumerOptions,
  type GroupAssignment,
  type MessagesStream,
} from '@platformatic/kafka';
import type { Logger } from '../logger.js';
import { createCommitQueue, type CommitQueue } from './commit-queue.js';
import { PartitionBuffers } from './partition-buffers.js';
import { saslUser } from './platformatic-errors.js';
import type { BatchControl, ConsumerOptions, RecordBatch } from './types.js';

/** The library's options of the consumer, but the group (the seam's {@link ConsumerOptions} name it). */
export type Base = Omit<LibraryConsumerOptions<Buffer, Buffer, Buffer, Buffer>, 'groupId'>;
type Handler = (batch: RecordBatch, control: BatchControl) => Promise<void>;
/** The library's stream of fetched records. */
export type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/** Backoff of a failed batch (the kafkajs seam's retry settings) and of a failed stream. */
export const BATCH_RETRY = { initialDelayMs: 300, maxDelayMs: 30_000 } as const;

/** The library's assignment as the seam has it: partitions by topic. */
export const assignmentRecord = (
  assignments: readonly GroupAssignment[] | null | undefined,
): Record<string, number[]> => Object.fromEntries((assignments ?? []).map((a) => [a.topic, [...a.partitions]]));

/**
 * The state of one consumer of `connectPlatformaticConsumer`, shared by its stream
 * (platformatic-consumer-stream.ts), its batches (platformatic-consumer-batches.ts) and its
 * group membership (platformatic-consumer.ts).
 */
export interface ConsumerState {
  readonly consumer: Consumer;
  readonly options: ConsumerOptions;
  readonly log: Logger;
  /** Failed streams in a row, and failed attempts of one batch, before the consumer crashes. */
  readonly retries: number;
  /** The SASL user the errors name. */
  readonly user: string | undefined;
  readonly maxBytes: number;
  readonly buffers: PartitionBuffers;
  readonly concurrency: number;
  /** The high watermark of each partition (`topic:partition`), from the fetch answers. */
  readonly watermarks: Map<string, string>;
  /** Topic names by topic id: fetch answers name topics by id. */
  readonly topicNames: Map<string, string>;
  readonly commits: CommitQueue;
  handler: Handler | undefined;
  topics: string[];
  stream: Stream | undefined;
  state: 'new' | 'running' | 'stopping' | 'crashed';
  /** Batches being handled. */
  active: number;
  readonly inflight: Set<Promise<void>>;
  // Failed attempts in a row of the batch at the head of each partition.
  readonly failures: Map<string, number>;
  streamFailures: number;
  retryTimer: NodeJS.Timeout | undefined;
  retryAt: number;
  reopenTimer: NodeJS.Timeout | undefined;
  // The member id of the last join: a member back under a new one lost its session meanwhile.
  memberId: string | undefined;
  pumpScheduled: boolean;
}

/** A new consumer's library client and state; nothing is sent until it runs. */
export function createConsumerState(base: Base, options: ConsumerOptions, log: Logger, retries: number): ConsumerState {
  const sessionTimeout = options.sessionTimeoutMs ?? 30000;
  const group = {
    sessionTimeout,
    // Also how soon a member learns of a rebalance (in the heartbeat's answer), as with kafkajs.
    heartbeatInterval: 1000,
    rebalanceTimeout: Math.max(60_000, sessionTimeout),
  };
  const consumer = new Consumer({ ...base, ...group, groupId: options.groupId, autocommit: false });
  const maxBytes = options.maxBytesPerPartition ?? 1048576;
  return {
    consumer,
    options,
    log,
    retries,
    user: saslUser(base),
    maxBytes,
    buffers: new PartitionBuffers(maxBytes),
    concurrency: Math.max(1, options.partitionsConcurrently ?? 1),
    watermarks: new Map(),
    topicNames: new Map(),
    commits: libraryCommits(consumer, log, options.commitIntervalMs),
    handler: undefined,
    topics: [],
    stream: undefined,
    state: 'new',
    active: 0,
    inflight: new Set(),
    failures: new Map(),
    streamFailures: 0,
    retryTimer: undefined,
    retryAt: Number.POSITIVE_INFINITY,
    reopenTimer: undefined,
    memberId: undefined,
    pumpScheduled: false,
  };
}

// As on kafkajs: one OffsetCommit in flight, the offsets handed in meanwhile in the next.
function libraryCommits(consumer: Consumer, log: Logger, minIntervalMs: number | undefined): CommitQueue {
  return createCommitQueue(
    (offsets) =>
      consumer
        .commit({
          offsets: offsets.map((o) => ({ ...o, offset: BigInt(o.offset) + 1n, leaderEpoch: -1 })),
        })
        .catch((err: unknown) => {
          log.warn({ err, offsets }, 'commit failed; it goes with the next one');
          throw err;
        }),
    { minIntervalMs },
  );
}

/**
 * Reports `err` (`onCrash`) while running. Unless `restarting` (the consumer goes on by
 * itself), it stops for good: its buffered records dropped, its stream closed.
 */
export function crash(s: ConsumerState, err: unknown, restarting: boolean): void {
  if (s.state !== 'running') return;
  s.options.onCrash?.(err, restarting);
  if (restarting) return;
  s.state = 'crashed';
  s.buffers.clear();
  void s.stream?.close().catch((closeErr: unknown) => s.log.debug({ err: closeErr }, 'closing the stream failed'));
}
