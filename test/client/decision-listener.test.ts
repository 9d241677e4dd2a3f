import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecisionListener, type ReceivedDecision } from '@fleet/client';
import { loadSchema, valueSubject, type RideDecisionRecord } from '@fleet/contract';
import { createSerde, type AdminClient, type KafkaClient, type Serde } from '@fleet/core';
import { eventually, randomName, testKafka, testLogger, testRegistry, withTopics } from '../helpers.js';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

function decision(rideId: string): RideDecisionRecord {
  const now = Date.now();
  return {
    ride_id: rideId,
    duration_min: 12,
    cost_usd: 20,
    tip_usd: 3,
    complete: true,
    missing_models: [],
    fare_quote_usd: 23,
    eta_minutes: 12,
    priority: 'NORMAL',
    model_versions: { duration: '1.0.0', cost: '1.0.0', tip: '1.0.0' },
    event_time: now - 5,
    decided_at: now,
    fare_low_usd: null,
    fare_high_usd: null,
    eta_low_minutes: null,
    eta_high_minutes: null,
  };
}

/** `kafka`, counting the records its consumers hand to their handlers. */
function counting(kafka: KafkaClient): { kafka: KafkaClient; handed: () => number } {
  let handed = 0;
  return {
    handed: () => handed,
    kafka: {
      ...kafka,
      consumer: async (options) => {
        const consumer = await kafka.consumer(options);
        return {
          ...consumer,
          run: (topics, handler) =>
            consumer.run(topics, (batch, control) => {
              handed += batch.records.length;
              return handler(batch, control);
            }),
        };
      },
    },
  };
}

describe('the decision listener', () => {
  let admin: AdminClient;
  let topic: string;
  let cleanup: (() => Promise<void>) | undefined;
  let serde: Serde<RideDecisionRecord>;
  const kafka = testKafka('listener-test');

  beforeAll(async () => {
    admin = await kafka.admin();
    const topics = await withTopics(admin, [{ prefix: 'listener.decisions', partitions: 3 }]);
    [topic] = topics.names;
    cleanup = topics.cleanup;
    serde = await createSerde(testRegistry(), valueSubject(topic), loadSchema('ride_decision'));
  });
  afterAll(async () => {
    await cleanup?.().catch(() => undefined);
    await admin?.disconnect();
  });

  async function publish(rideIds: string[]): Promise<void> {
    const producer = await kafka.producer();
    try {
      await producer.send([{ topic, records: rideIds.map((id) => ({ key: id, value: serde.encode(decision(id)) })) }]);
    } finally {
      await producer.disconnect();
    }
  }

  it(
    'starts its group where it starts listening: it reads none of the history, then every new decision',
    { timeout: testTimeoutMs(REBALANCE_TIMEOUT_MS, WORK_ALLOWANCE_MS) },
    async () => {
      await publish(Array.from({ length: 300 }, (_, i) => `old-${i}`));
      const groupId = randomName('listener.group');
      const received: ReceivedDecision[] = [];
      const { kafka: watched, handed } = counting(kafka);
      const listener = await createDecisionListener({
        kafka: watched,
        registry: testRegistry(),
        logger: testLogger('listener'),
        topic,
        groupId,
        onDecision: (d) => received.push(d),
      });
      await listener.start();
      try {
        const ends = await admin.fetchEndOffsets(topic);
        expect(await admin.fetchCommittedOffsets(groupId, topic)).toEqual(expect.arrayContaining(ends));
        await publish(['new-1', 'new-2']);
        await eventually(() => received.length >= 2, 'the two new decisions', WORK_ALLOWANCE_MS);
        expect(received.map((d) => d.ride_id).sort()).toEqual(['new-1', 'new-2']);
        expect(handed()).toBe(2);
      } finally {
        await listener.stop();
      }
    },
  );
});
