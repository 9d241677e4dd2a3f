import { Consumer, IS_CONTROL, ListOffsetTimestamps, type ConsumerOptions } from '@platformatic/kafka';
import type { Logger } from '../logger.js';
import { retry } from '../retry.js';
import { rangesSince } from './offsets-since.js';
import { saslUser, translated } from './platformatic-errors.js';
import { headerStrings } from './platformatic-records.js';
import type { IncomingRecord } from './types.js';

type ReaderOptions = Omit<ConsumerOptions<Buffer, Buffer, Buffer, Buffer>, 'groupId'>;

/** Upper bound of one fetch of the reader. */
const FETCH_MAX_BYTES = 1_048_576;
/** Idle time after which the reader's connection is closed. */
const IDLE_MS = 5000;

/** A record batch of a fetch response, as far as the reader reads it. */
interface FetchedBatch {
  firstOffset: bigint;
  firstTimestamp: bigint;
  attributes: number;
  records: Array<{
    offsetDelta: number;
    timestampDelta: bigint;
    key: Buffer | null;
    value: Buffer | null;
    headers: [Buffer | null, Buffer | null][];
  }>;
}

/**
 * The records of fetched batches from `from` (inclusive) to `end` (exclusive), control
 * records (transaction markers) left out; a fetch may start before `from` (a batch is
 * returned whole).
 */
export function recordsInRange(
  topic: string,
  partition: number,
  batches: readonly FetchedBatch[],
  from: bigint,
  end: bigint,
): { records: IncomingRecord[]; next: bigint } {
  const records: IncomingRecord[] = [];
  let next = from;
  for (const batch of batches) {
    for (const r of batch.records) {
      const offset = batch.firstOffset + BigInt(r.offsetDelta);
      if (offset >= next) next = offset + 1n;
      if (offset < from || offset >= end || (batch.attributes & IS_CONTROL) !== 0) continue;
      records.push({
        topic,
        partition,
        offset: offset.toString(),
        key: r.key,
        value: r.value,
        headers: headerStrings(r.headers),
        timestamp: Number(batch.firstTimestamp + r.timestampDelta),
      });
    }
  }
  return { records, next };
}

/**
 * The seam's `readPartition` on @platformatic/kafka. Unlike kafkajs, the library fetches a
 * partition without joining a group, so nothing is committed and no throw-away group is
 * left to delete: list the offsets, then fetch from the partition's leader up to the end
 * offset of the moment. One connection serves the reads of a rebalance (one per partition)
 * and is closed after a few idle seconds, so it never keeps a stopping process alive.
 */
export function createPlatformaticReader(options: ReaderOptions, log: Logger) {
  let shared: { consumer: Consumer; idle?: NodeJS.Timeout } | undefined;

  function reader(): Consumer {
    shared ??= { consumer: new Consumer({ ...options, groupId: 'fleet.reader.unused', autocommit: false }) };
    clearTimeout(shared.idle);
    const current = shared;
    current.idle = setTimeout(() => {
      if (shared === current) shared = undefined;
      current.consumer.close().catch((err: unknown) => log.debug({ err }, 'closing the idle reader failed'));
    }, IDLE_MS);
    current.idle.unref();
    return current.consumer;
  }

  return async function readPartition(
    topic: string,
    partition: number,
    fromTimestampMs: number,
    onRecord: (record: IncomingRecord) => void,
  ): Promise<number> {
    const consumer = reader();
    const offsetsAt = async (timestamp: bigint): Promise<Map<number, bigint>> => {
      const offsets = await consumer.listOffsets({ topics: [topic], partitions: { [topic]: [partition] }, timestamp });
      return new Map([[partition, offsets.get(topic)?.[partition] ?? -1n]]);
    };
    // Like every admin call of the seam: retried while the partition has no leader yet.
    const ranges = await retry(
      () =>
        translated(
          `list the offsets of ${topic}`,
          () =>
            rangesSince(
              () => offsetsAt(ListOffsetTimestamps.LATEST),
              () => offsetsAt(BigInt(fromTimestampMs)),
            ),
          saslUser(options),
        ),
      { retries: 8, initialDelayMs: 100, maxDelayMs: 2000 },
    );
    const { from, end } = ranges.get(partition)!;
    let next = from;
    let count = 0;
    while (next < end) {
      const batches = await fetchFrom(consumer, topic, partition, next, saslUser(options));
      const range = recordsInRange(topic, partition, batches, next, end);
      for (const record of range.records) onRecord(record);
      count += range.records.length;
      // An empty answer below the end offset (aborted transactions only) still moves on.
      next = range.next > next ? range.next : next + 1n;
    }
    return count;
  };
}

async function fetchFrom(
  consumer: Consumer,
  topic: string,
  partition: number,
  offset: bigint,
  user: string | undefined,
): Promise<FetchedBatch[]> {
  return retry(
    () =>
      translated(
        `read ${topic}`,
        async () => {
          const metadata = await consumer.metadata({ topics: [topic] });
          const info = metadata.topics.get(topic);
          const leader = info?.partitions[partition]?.leader ?? -1;
          const response = await consumer.fetch({
            node: leader,
            maxWaitTime: 50,
            maxBytes: FETCH_MAX_BYTES,
            topics: [
              {
                topicId: info?.id ?? '',
                partitions: [
                  {
                    partition,
                    fetchOffset: offset,
                    partitionMaxBytes: FETCH_MAX_BYTES,
                    currentLeaderEpoch: -1,
                    lastFetchedEpoch: -1,
                  },
                ],
              },
            ],
          });
          return response.responses.flatMap((t) => t.partitions.flatMap((p) => p.records ?? []));
        },
        user,
      ),
    { retries: 8, initialDelayMs: 100, maxDelayMs: 2000 },
  );
}
