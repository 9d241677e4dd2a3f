import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within, type AdminClient, type KafkaClient } from '@fleet/core';
import { eventually, randomName, testKafka, withTopics } from '../helpers.js';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

// Runs on each client behind the seam. A graceful stop (SIGTERM, a scale-down, a promote's
// replacement) lets the batch in hand finish, and that batch's commit lands before the
// member leaves, so its next owner does not read it again. kafkajs ignores a commit made
// through consumer.commitOffsets once its stop began; the batch was then read again.

const RECORDS = 10;

describe('a graceful stop', () => {
  let kafka: KafkaClient;
  let admin: AdminClient;

  beforeAll(async () => {
    kafka = testKafka('graceful-stop-test');
    admin = await kafka.admin();
  });
  afterAll(async () => {
    await admin?.disconnect();
  });

  it(
    'commits the batch in hand before it leaves the group',
    { timeout: testTimeoutMs(REBALANCE_TIMEOUT_MS, WORK_ALLOWANCE_MS, WORK_ALLOWANCE_MS) },
    async () => {
      const { names, cleanup } = await withTopics(admin, [{ prefix: 'graceful-stop' }]);
      const [topic] = names;
      const groupId = randomName('graceful-stop');
      const producer = await kafka.producer();
      const consumer = await kafka.consumer({ groupId, fromBeginning: true });
      try {
        await producer.send([
          { topic, records: Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`${i}`) })) },
        ]);
        let inHand: string | undefined;
        let stopping = false;
        void consumer.run([topic], async (batch, control) => {
          inHand = batch.records[batch.records.length - 1].offset;
          // The stop is asked for while this batch is in hand; it finishes, then commits.
          while (!stopping) await new Promise((resolve) => setTimeout(resolve, 20));
          await new Promise((resolve) => setTimeout(resolve, 200));
          await control.commit(inHand);
        });
        // A new group's first join, then the first batch.
        await eventually(() => inHand !== undefined, 'a batch in hand', REBALANCE_TIMEOUT_MS + WORK_ALLOWANCE_MS);
        stopping = true;
        await within('the consumer to stop', WORK_ALLOWANCE_MS, consumer.stop());
        const committed = await admin.fetchCommittedOffsets(groupId, topic);
        expect(committed.map((p) => Number(p.offset))).toEqual([Number(inHand) + 1]);
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
        await cleanup();
      }
    },
  );
});
