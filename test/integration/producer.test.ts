import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient, KafkaClient } from '@fleet/core';
import { randomName, testKafka } from '../helpers.js';

// Runs on each client behind the seam (the main suite on kafkajs, `npm run test:platformatic`
// on @platformatic/kafka). Regression: a pipe handed a whole megabyte of records re-produced
// them in one request, which the broker refuses (MESSAGE_TOO_LARGE); the batch was retried
// for ever and the partition stopped.
describe('the seam producer, one send larger than a produce request', () => {
  let kafka: KafkaClient;
  let admin: AdminClient;
  let topic: string;

  beforeAll(async () => {
    kafka = testKafka('producer-test');
    admin = await kafka.admin();
    topic = randomName('producer.big');
    await admin.createTopics([{ topic, partitions: 1 }]);
  });
  afterAll(async () => {
    await admin?.deleteTopics([topic]).catch(() => undefined);
    await admin?.disconnect();
  });

  it('writes every record, in order, in requests the broker accepts', async () => {
    const producer = await kafka.producer();
    // 1.4 MB of values, keys and headers: over the broker's default 1 MiB per record batch.
    const records = Array.from({ length: 12_000 }, (_, i) => ({
      key: `ride-${i}`,
      value: Buffer.alloc(100, i % 256),
      headers: { n: String(i) },
    }));
    try {
      await producer.send([{ topic, records }]);
    } finally {
      await producer.disconnect();
    }
    const read: number[] = [];
    await kafka.readPartition(topic, 0, 0, (r) => read.push(Number(r.key!.toString().slice('ride-'.length))));
    expect(read).toHaveLength(12_000);
    expect(read.every((n, i) => n === i)).toBe(true);
  });
});
