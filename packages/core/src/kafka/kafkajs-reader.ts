import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { IncomingRecord } from './types.js';

/**
 * Reads `topic`/`partition` from `fromTimestampMs` to the end offset of the moment. kafkajs
 * has no manual assignment, so a throw-away group is joined, the partition sought, and the
 * group deleted afterwards.
 */
export async function readPartition(
  kafka: Kafka,
  topic: string,
  partition: number,
  fromTimestampMs: number,
  onRecord: (record: IncomingRecord) => void,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `fleet.reader.${randomBytes(6).toString('hex')}`;
  try {
    const [byTime, ends] = await Promise.all([
      admin.fetchTopicOffsetsByTimestamp(topic, fromTimestampMs),
      admin.fetchTopicOffsets(topic),
    ]);
    const end = BigInt(ends.find((p) => p.partition === partition)?.high ?? '0');
    const fromRaw = byTime.find((p) => p.partition === partition)?.offset ?? '-1';
    const from = fromRaw === '-1' ? end : BigInt(fromRaw);
    if (from >= end) return 0;
    return await consume(kafka, groupId, topic, partition, from, end, onRecord);
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

async function consume(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partition: number,
  from: bigint,
  end: bigint,
  onRecord: (record: IncomingRecord) => void,
): Promise<number> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50, allowAutoTopicCreation: false });
  await consumer.connect();
  let count = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
  });
  try {
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.partition !== partition) return;
        for (const m of batch.messages) {
          if (BigInt(m.offset) >= end) break;
          count++;
          onRecord({
            topic,
            partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: {},
            timestamp: Number(m.timestamp),
          });
        }
        if (BigInt(batch.lastOffset()) + 1n >= end) done();
      },
    });
    // kafkajs accepts a seek only once run() has started the consumer.
    consumer.seek({ topic, partition, offset: from.toString() });
    await finished;
  } finally {
    await consumer.disconnect();
  }
  return count;
}
