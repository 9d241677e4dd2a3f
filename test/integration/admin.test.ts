import { describe, expect, it } from 'vitest';
import { createKafkaClient, kafkaClientKind } from '@fleet/core';
import { randomName, stack, testLogger } from '../helpers.js';

// Runs on each client behind the seam (the main suite on kafkajs, `npm run test:platformatic`
// on @platformatic/kafka). Regression: a fresh kafkajs admin knew no broker, so its first
// group lookup failed ("No brokers in the broker pool") and only a retry succeeded; with no
// retries (infra's coordinator warm-up) it never succeeded.
describe('the seam admin, fresh', () => {
  it('describes a group on its first call, with no retries', async () => {
    const kafka = createKafkaClient(
      { client: kafkaClientKind(), brokers: stack().brokers, clientId: 'admin-test', retries: 0 },
      testLogger(),
    );
    const admin = await kafka.admin();
    try {
      expect(await admin.describeGroup(randomName('admin.fresh'))).toEqual({ state: 'Dead', members: [] });
    } finally {
      await admin.disconnect();
    }
  });
});
