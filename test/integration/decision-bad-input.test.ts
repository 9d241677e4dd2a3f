import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictionRecord } from '@fleet/contract';
import {
  createTopicSerde,
  DLQ_HEADERS,
  dlqTopic,
  ensureFleetTopics,
  type AdminClient,
  type FleetProcess,
  type CommonConfig,
  type IncomingRecord,
  type ProducerClient,
  type Serde,
} from '@fleet/core';
import { createDecisionProcess } from '@fleet/decision';
import { createDecisionListener, type ReceivedDecision } from '@fleet/backend';
import { eventually, randomName, stack, testKafka, testLogger, testRegistry } from '../helpers.js';
import { READ_BACK_MS, testTimeoutMs } from '../timing.js';

// Predictions a foreign or broken producer could write: each must go to predictions.dlq
// with its code, and no decision published beside it may be lost with it (a value the
// decision cannot be written with failed every decision of its batch, and reopened none).
const prefix = randomName('decision-bad');
const topics = {
  rides: `${prefix}.ride_started`,
  predictions: `${prefix}.predictions`,
  decisions: `${prefix}.ride_decisions`,
};

const prediction = (rideId: string, model: string, patch: Partial<PredictionRecord> = {}): PredictionRecord => ({
  ride_id: rideId,
  model,
  model_version: '1.0.0',
  value: { duration: 14.25, cost: 21.5, tip: 3.1 }[model] ?? 1,
  unit: model === 'duration' ? 'minutes' : 'USD',
  event_time: Date.now(),
  predicted_at: Date.now(),
  lower: null,
  upper: null,
  shadow: false,
  ...patch,
});

const CASES: Array<{ name: string; code: string; record: PredictionRecord }> = [
  { name: 'unknown model', code: 'FLEET_UNKNOWN_MODEL', record: prediction('bad-0', 'fare') },
  { name: 'NaN duration', code: 'FLEET_VALIDATION_FAILED', record: prediction('bad-1', 'duration', { value: NaN }) },
  {
    name: 'duration past 32-bit minutes',
    code: 'FLEET_VALIDATION_FAILED',
    record: prediction('bad-2', 'duration', { value: 3e9 }),
  },
  {
    name: 'infinite upper bound',
    code: 'FLEET_VALIDATION_FAILED',
    record: prediction('bad-3', 'duration', { lower: 10, upper: Infinity }),
  },
];

describe('bad predictions to the decision service (real broker, registry)', () => {
  let admin: AdminClient;
  let proc: FleetProcess<CommonConfig>;
  let producer: ProducerClient;
  let serde: Serde<PredictionRecord>;
  const dead: IncomingRecord[] = [];
  const decided: ReceivedDecision[] = [];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const kafka = testKafka('decision-bad-input');
    admin = await kafka.admin();
    await ensureFleetTopics(admin, topics, 1);
    proc = await createDecisionProcess({
      kafka,
      registry: testRegistry(),
      logger: testLogger(),
      env: {
        KAFKA_BROKERS: stack().brokers.join(','),
        SCHEMA_REGISTRY_URL: stack().registryUrl,
        TOPIC_RIDES: topics.rides,
        TOPIC_PREDICTIONS: topics.predictions,
        TOPIC_DECISIONS: topics.decisions,
        GROUP_ID: `${prefix}.decision`,
      },
    });
    await proc.service.start();
    const listener = await createDecisionListener({
      kafka,
      registry: testRegistry(),
      logger: testLogger(),
      topic: topics.decisions,
      onDecision: (d) => decided.push(d),
    });
    await listener.start();
    const dlqReader = await kafka.consumer({ groupId: randomName('dlq'), fromBeginning: true });
    void dlqReader.run([dlqTopic(topics.predictions)], async (b) => {
      dead.push(...b.records);
    });
    producer = await kafka.producer();
    serde = await createTopicSerde<PredictionRecord>(testRegistry(), topics.predictions, 'prediction', testLogger());
    stop = async () => {
      await producer.disconnect();
      await dlqReader.disconnect();
      await listener.stop();
    };
  });
  afterAll(async () => {
    await stop?.();
    await proc?.stop();
    await admin?.deleteTopics([...Object.values(topics), dlqTopic(topics.predictions)]).catch(() => undefined);
    await admin?.disconnect();
  });

  it(
    'sends each to predictions.dlq with its code, in one batch with good rides that are all decided',
    { timeout: testTimeoutMs(READ_BACK_MS) },
    async () => {
      // One send: the bad predictions and three good rides reach the decision in one batch.
      const good = ['good-0', 'good-1', 'good-2'];
      const records = [
        ...good.flatMap((id) => ['duration', 'cost'].map((m) => prediction(id, m))),
        ...CASES.map((c) => c.record),
        ...good.map((id) => prediction(id, 'tip')),
      ].map((p) => ({ key: p.ride_id, value: serde.encode(p) }));
      await producer.send([{ topic: topics.predictions, records }]);
      await eventually(
        () => dead.length >= CASES.length && decided.length >= good.length,
        'dead letters and decisions',
        READ_BACK_MS,
      );
      expect(decided.map((d) => d.ride_id).sort()).toEqual(good);
      expect(decided.every((d) => d.complete)).toBe(true);
      expect(dead.map((r) => [r.key?.toString(), r.headers[DLQ_HEADERS.errorCode]])).toEqual(
        CASES.map((c) => [c.record.ride_id, c.code]),
      );
    },
  );
});
