import type { Message } from '@platformatic/kafka';
import { isRetriable } from '@fleet/contract';
import { backoffDelay } from '../retry.js';
import { partitionKey } from './partition-buffers.js';
import { schedulePump } from './platformatic-consumer-batches.js';
import { BATCH_RETRY, crash, type ConsumerState, type Stream } from './platformatic-consumer-state.js';
import { toFleetError } from './platformatic-errors.js';
import { incoming } from './platformatic-records.js';

/** What the reader of the fetch channel needs of a fetch answer. */
interface FetchAnswer {
  responses: Array<{ topicId: string; partitions: Array<{ partitionIndex: number; highWatermark: bigint }> }>;
}

/**
 * A listener of the library's fetch channel keeping `s.watermarks` (the high watermark of
 * each partition) from the consumer's fetch answers; an answer ends a run of failed streams.
 */
export function fetchListener(s: ConsumerState): (ctx: unknown) => void {
  return (ctx) => {
    const { client, result } = ctx as { client?: unknown; result?: FetchAnswer };
    if (client !== s.consumer || !result) return;
    s.streamFailures = 0;
    for (const t of result.responses) {
      const topic = s.topicNames.get(t.topicId);
      if (topic)
        for (const p of t.partitions) s.watermarks.set(partitionKey(topic, p.partitionIndex), String(p.highWatermark));
    }
  };
}

/** Opens the stream of `s.topics` from the committed offsets; its records go to the buffers. */
export async function openStream(s: ConsumerState): Promise<void> {
  const metadata = await s.consumer.metadata({ topics: s.topics });
  for (const [name, topic] of metadata.topics) s.topicNames.set(topic.id, name);
  const opened = await s.consumer.consume({
    topics: s.topics,
    mode: 'committed',
    fallbackMode: (s.options.fromBeginning ?? true) ? 'earliest' : 'latest',
    autocommit: false,
    maxWaitTime: s.options.maxWaitTimeMs ?? 100,
    maxBytesPerPartition: s.maxBytes,
    minBytes: s.options.minBytes ?? 1,
  });
  opened.on('error', (err: unknown) => streamFailed(s, opened, err));
  if (s.state !== 'running') {
    // Stopped while this stream was being opened.
    await opened.close().catch((err: unknown) => s.log.debug({ err }, 'closing the stream failed'));
    return;
  }
  s.stream = opened;
  opened.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => {
    if (!s.buffers.push(incoming(m))) return;
    // Holding at most a few fetches' worth keeps memory bounded while batches are slow.
    if (s.buffers.bytes > 4 * s.maxBytes) opened.pause();
    schedulePump(s);
  });
}

function streamFailed(s: ConsumerState, failed: Stream, err: unknown): void {
  if (s.state !== 'running' || s.stream !== failed) return;
  s.stream = undefined;
  reopenLater(s, err);
}

/** Opens a new stream after a backoff; crashes for good past the retries or on a refusal. */
function reopenLater(s: ConsumerState, err: unknown): void {
  if (s.state !== 'running') return;
  const error = toFleetError(err, `fetch from ${s.topics.join(', ')}`, s.user);
  if (!isRetriable(error) || s.streamFailures >= s.retries) return crash(s, error, false);
  crash(s, error, true);
  const delayMs = backoffDelay(Math.min(s.streamFailures++, 6), BATCH_RETRY);
  s.log.warn({ err: error, delayMs }, 'the consumer stream ended; opening a new one');
  s.reopenTimer = setTimeout(() => {
    s.reopenTimer = undefined;
    if (s.state === 'running') openStream(s).catch((reopenErr: unknown) => reopenLater(s, reopenErr));
  }, delayMs);
}
