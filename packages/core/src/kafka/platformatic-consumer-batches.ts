import { FleetError, isRetriable } from '@fleet/contract';
import { backoffDelay } from '../retry.js';
import { partitionKey, type TakenBatch } from './partition-buffers.js';
import { assignmentRecord, BATCH_RETRY, crash, type ConsumerState } from './platformatic-consumer-state.js';
import type { BatchControl, RecordBatch } from './types.js';

/** Raised inside a batch when a rebalance started after it was handed out. */
class Rebalancing extends FleetError {
  constructor() {
    super('FLEET_KAFKA_UNAVAILABLE', 'the group is rebalancing; the batch will be handled again');
  }
}

/** Fetching again once the buffers hold at most two fetches' worth (paused above four). */
export function resumeWhenDrained(s: ConsumerState): void {
  if (s.stream?.isPaused() && s.buffers.bytes <= 2 * s.maxBytes) s.stream.resume();
}

/** Pumps once the records that came with the current one have arrived. */
export function schedulePump(s: ConsumerState): void {
  if (s.pumpScheduled) return;
  s.pumpScheduled = true;
  // After the current fetch's records have all arrived: one batch per partition and fetch.
  setImmediate(() => {
    s.pumpScheduled = false;
    pump(s);
  });
}

/**
 * Hands buffered batches to the handler, up to `concurrency` at once; pumps again when the
 * earliest partition waiting its backoff may go on.
 */
export function pump(s: ConsumerState): void {
  if (s.state !== 'running' || !s.handler || !s.consumer.isActive()) return;
  while (s.active < s.concurrency) {
    const taken = s.buffers.take(Date.now());
    if (!taken) break;
    s.active++;
    const run = handle(s, taken).finally(() => {
      s.active--;
      s.inflight.delete(run);
      resumeWhenDrained(s);
      pump(s);
    });
    s.inflight.add(run);
  }
  const at = s.buffers.nextRetryAt(Date.now());
  if (at !== undefined && at < s.retryAt) {
    clearTimeout(s.retryTimer);
    s.retryAt = at;
    s.retryTimer = setTimeout(() => {
      s.retryTimer = undefined;
      s.retryAt = Number.POSITIVE_INFINITY;
      pump(s);
    }, at - Date.now());
  }
}

async function handle(s: ConsumerState, taken: TakenBatch): Promise<void> {
  const control = batchControl(s, taken.topic, taken.partition);
  const { topic, partition, records } = taken;
  const key = partitionKey(topic, partition);
  const last = records[records.length - 1].offset;
  const batch: RecordBatch = {
    topic,
    partition,
    records,
    highWatermark: s.watermarks.get(key) ?? (BigInt(last) + 1n).toString(),
  };
  try {
    await s.handler!(batch, control);
    s.buffers.done(taken);
    s.failures.delete(key);
    s.streamFailures = 0;
  } catch (err) {
    batchFailed(s, taken, err);
  }
}

/** The control of a batch of `topic`/`partition` handed out now, in the group's current generation. */
function batchControl(s: ConsumerState, topic: string, partition: number): BatchControl {
  const generation = s.consumer.generationId;
  const member = s.consumer.memberId;
  return {
    heartbeat: async () => {
      if (s.consumer.generationId !== generation || !s.consumer.isActive()) throw new Rebalancing();
    },
    isStale: () =>
      s.consumer.memberId !== member || !assignmentRecord(s.consumer.assignments)[topic]?.includes(partition),
    commit: (offset) => commit(s, topic, partition, offset),
  };
}

/**
 * The handler failed `taken`: the consumer crashes on an error no retry fixes; otherwise its
 * records go back to the front of their partition, after a backoff unless a rebalance is why.
 */
function batchFailed(s: ConsumerState, taken: TakenBatch, err: unknown): void {
  if (!isRetriable(err)) {
    s.buffers.done(taken);
    crash(s, err, false);
    return;
  }
  if (err instanceof Rebalancing) {
    s.buffers.retry(taken, Date.now());
    return;
  }
  const { topic, partition } = taken;
  const key = partitionKey(topic, partition);
  const failed = (s.failures.get(key) ?? 0) + 1;
  s.failures.set(key, failed);
  const delayMs = backoffDelay(Math.min(failed - 1, 6), BATCH_RETRY);
  s.buffers.retry(taken, Date.now() + delayMs);
  s.log.warn({ err, topic, partition, delayMs }, 'batch failed; it will be handled again');
  // As kafkajs does once its retries of a batch run out: report it, and go on retrying.
  if (failed > s.retries) {
    s.failures.delete(key);
    crash(s, err, true);
  }
}

// While stopping, the last batch's commit must land before the group is left.
function commit(s: ConsumerState, topic: string, partition: number, offset: string): Promise<void> {
  return s.commits.commit({ topic, partition, offset }, s.state !== 'running');
}
