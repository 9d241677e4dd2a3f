import { describe, expect, inject, it } from 'vitest';
import { createKafkaClient, createLogger, kafkaClientKind } from '@fleet/core';
import { rateIsSteady, warmUpBroker, WARM_UP_TOPICS } from '@fleet/infra';
import { testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

const { brokers } = inject('kafka');

describe('the broker warm-up', () => {
  it('stops once the rate stops rising, not while it still rises or before ten seconds', () => {
    const rising = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((x) => 1000 * x);
    expect(rateIsSteady(rising)).toBe(false);
    const plateau = [...rising.slice(0, 5), 9000, 9100, 8900, 9000, 9050, 9000, 8950, 9100, 9000, 9020];
    expect(rateIsSteady(plateau)).toBe(true);
    expect(rateIsSteady(Array(9).fill(9000))).toBe(false);
    expect(rateIsSteady(Array(10).fill(9000))).toBe(true);
  });

  it(
    'drives produce, fetch and commit through the broker and deletes its topics afterwards',
    { timeout: testTimeoutMs(2000 + 4 * WORK_ALLOWANCE_MS) },
    async () => {
      const connection = { client: kafkaClientKind(), brokers: brokers.split(','), clientId: 'warm-up-test' };
      const kafka = createKafkaClient(connection, createLogger({ service: 'test', level: 'silent' }));
      const said: string[] = [];
      const done = await warmUpBroker(kafka, { maxMs: 2000, onProgress: (line) => said.push(line) });
      expect(done.records).toBeGreaterThan(0);
      expect(done.ms).toBeGreaterThanOrEqual(2000);
      expect(done.steady).toBe(false);
      const admin = await kafka.admin();
      try {
        const topics = await admin.listTopics();
        for (const topic of WARM_UP_TOPICS) expect(topics).not.toContain(topic);
      } finally {
        await admin.disconnect();
      }
    },
  );
});
