import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerSettings, createTopicSerde, loadConfig, type AdminClient, type KafkaClient } from '@fleet/core';
import { decisionEnv } from '@fleet/decision';
import { eventually, randomName, testKafka, testLogger, testRegistry, withTopics } from '../helpers.js';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

/** One ride's test: a new group's first join, the gaps between the predictions, the rest. */
const RIDE_TEST_MS = testTimeoutMs(REBALANCE_TIMEOUT_MS, WORK_ALLOWANCE_MS, WORK_ALLOWANCE_MS);

// Runs on each client behind the seam. The decision service decides a ride once its third
// prediction is in. By default its fetches are answered at the first byte, as the model
// services' are (latency first: a ride's last prediction is handed over as soon as it
// arrives). Where its CPU per ride matters more, an operator sets KAFKA_FETCH_MIN_BYTES
// to about three predictions' worth (README, Performance): one round trip per ride where
// there were two or three. This holds both against real predictions, each produced alone
// as the three model services do: with the setting, the third arrival fills a fetch and
// the second does not; without it, each prediction comes on its own.

/** `KAFKA_FETCH_MIN_BYTES` the README gives for about three predictions per fetch. */
const THREE_PREDICTIONS_BYTES = '350';

/** The three served models' predictions of a ride (version 1.0.0: no interval). */
const MODELS = [
  { model: 'duration', unit: 'minutes', value: 14.25 },
  { model: 'cost', unit: 'USD', value: 21.5 },
  { model: 'tip', unit: 'USD', value: 3.1 },
];

/** Gap between two predictions of a ride: long beside a fetch's round trip, even on a loaded machine. */
const GAP_MS = 1500;

describe("the decision service's fetches", () => {
  let kafka: KafkaClient;
  let admin: AdminClient;

  beforeAll(async () => {
    kafka = testKafka('decision-fetch-test');
    admin = await kafka.admin();
  });
  afterAll(async () => {
    await admin?.disconnect();
  });

  /** Records per batch a consumer with `env`'s fetch settings is handed for one ride. */
  async function batchesOfOneRide(rideId: string, env: Record<string, string>): Promise<number[]> {
    const topics = await withTopics(admin, [{ prefix: 'decision-fetch' }]);
    const [topic] = topics.names;
    const serde = await createTopicSerde(testRegistry(), topic, 'prediction', testLogger());
    // A wait far longer than the three predictions take to come, so that only the bytes
    // gathered end a fetch.
    const config = loadConfig(decisionEnv, { ...env, KAFKA_FETCH_MAX_WAIT_MS: '20000' });
    // A producer of its own: one that wrote to a topic deleted since stalls on its metadata.
    const producer = await kafka.producer();
    const consumer = await kafka.consumer({
      ...consumerSettings(config),
      groupId: randomName('decision-fetch'),
      fromBeginning: true,
    });
    const batches: number[] = [];
    try {
      void consumer.run([topic], async (batch) => {
        batches.push(batch.records.length);
      });
      // A record of its own, larger than any threshold here: once it is handed over, the
      // consumer is fetching, and every prediction after it arrives while a fetch waits.
      await producer.send([{ topic, records: [{ key: 'start', value: Buffer.alloc(1024) }] }]);
      await eventually(() => batches.length > 0, 'the first record handed over', REBALANCE_TIMEOUT_MS);
      const now = Date.now();
      for (const m of MODELS) {
        await new Promise((resolve) => setTimeout(resolve, GAP_MS));
        const value = serde.encode({
          ride_id: rideId,
          model: m.model,
          model_version: '1.0.0',
          value: m.value,
          unit: m.unit,
          event_time: now,
          predicted_at: Date.now(),
          lower: null,
          upper: null,
          shadow: false,
        });
        await producer.send([{ topic, records: [{ key: rideId, value }] }]);
      }
      await eventually(() => batches.reduce((a, b) => a + b, 0) === 1 + MODELS.length, 'every prediction handed over');
      return batches.slice(1);
    } finally {
      await consumer.stop();
      await consumer.disconnect();
      await producer.disconnect();
      await topics.cleanup();
    }
  }

  it('by default, hand over each prediction of a ride as it arrives', { timeout: RIDE_TEST_MS }, async () => {
    expect(await batchesOfOneRide('ride-1a2b3c4d-1234', {})).toEqual([1, 1, 1]);
  });

  it.each([
    ['a short ride id', 'r1'],
    ['a ride id as the demo makes them', 'ride-1a2b3c4d-1234'],
  ])(
    'with KAFKA_FETCH_MIN_BYTES set to three predictions, hand them over in one batch (%s)',
    { timeout: RIDE_TEST_MS },
    async (_, rideId) => {
      expect(await batchesOfOneRide(rideId, { KAFKA_FETCH_MIN_BYTES: THREE_PREDICTIONS_BYTES })).toEqual([3]);
    },
  );
});
