import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFleetTopics, fleetTopicSpecs, type AdminClient } from '@fleet/core';
import { randomName, testKafka } from '../helpers.js';

/** `call` on an admin of a client created for it, that retries nothing. */
async function withFreshAdmin<T>(call: (admin: AdminClient) => Promise<T>): Promise<T> {
  const admin = await testKafka('admin-test', { retries: 0 }).admin();
  try {
    return await call(admin);
  } finally {
    await admin.disconnect();
  }
}

// Runs on each client behind the seam (the main suite on kafkajs, `npm run test:platformatic`
// on @platformatic/kafka). Regression: a fresh kafkajs admin knew no broker, so its first
// call to a group coordinator failed ("No brokers in the broker pool") and only a retry
// succeeded; with no retries (infra's coordinator warm-up) it never succeeded.
describe('the seam admin, fresh, with no retries: its first group call', () => {
  const topic = randomName('admin.fresh');
  const group = randomName('admin.fresh');

  beforeAll(async () => {
    const admin = await testKafka('admin-test').admin();
    try {
      await admin.createTopics([{ topic, partitions: 2 }]);
    } finally {
      await admin.disconnect();
    }
  });
  afterAll(async () => {
    await withFreshAdmin((admin) => admin.deleteTopics([topic])).catch(() => undefined);
  });

  it('describes a group', async () => {
    expect(await withFreshAdmin((admin) => admin.describeGroup(randomName('admin.none')))).toEqual({
      state: 'Dead',
      members: [],
    });
  });

  it("sets a group's offsets, and reads them back", async () => {
    await withFreshAdmin((admin) => admin.setGroupOffsets(group, topic, [{ partition: 1, offset: '0' }]));
    const committed = await withFreshAdmin((admin) => admin.fetchCommittedOffsets(group, topic));
    expect(committed).toContainEqual({ partition: 1, offset: '0' });
  });
});

describe("the fleet's topics, some of them there already", () => {
  const prefix = randomName('admin.layout');
  const topics = { rides: `${prefix}.rides`, predictions: `${prefix}.predictions`, decisions: `${prefix}.decisions` };

  afterAll(async () => {
    await withFreshAdmin((admin) => admin.deleteTopics(fleetTopicSpecs(topics, 1).map((s) => s.topic))).catch(
      () => undefined,
    );
  });

  it('are refused, named, when the decisions could not be read back by partition', async () => {
    await withFreshAdmin((admin) => admin.createTopics([{ topic: topics.predictions, partitions: 3 }]));
    const created = withFreshAdmin((admin) => ensureFleetTopics(admin, topics, 6));
    await expect(created).rejects.toMatchObject({
      code: 'FLEET_CONFIG_INVALID',
      message: expect.stringContaining(`${topics.decisions} has 6 partitions where ${topics.predictions} has 3`),
    });
  });
});
