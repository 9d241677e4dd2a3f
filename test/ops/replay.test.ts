import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRidePublisher, type RidePublisher } from '@fleet/backend';
import { loadRideCsv, loadSchema, valueSubject, type PredictionRecord, type RideStarted } from '@fleet/contract';
import { commonEnv, createSerde, loadConfig, type AdminClient, type StreamService } from '@fleet/core';
import { createModelProcess, type ModelProcess } from '@fleet/scoring';
import { eventually, randomName, stack, testKafka, testLogger, testRegistry } from '../helpers.js';

const prefix = randomName('replay');
Object.assign(process.env, {
  KAFKA_BROKERS: stack().brokers.join(','),
  SCHEMA_REGISTRY_URL: stack().registryUrl,
  TOPIC_RIDES: `${prefix}.ride_started`,
  TOPIC_PREDICTIONS: `${prefix}.predictions`,
  FLEET_GROUP_PREFIX: prefix,
});
const { runFleet } = await import('@fleet/cli');
const config = loadConfig(commonEnv);
const kafka = testKafka('replay');

describe('fleet replay', () => {
  let admin: AdminClient;
  let model: ModelProcess | undefined;
  let publisher: RidePublisher;
  let templates: RideStarted[];
  const predictions: PredictionRecord[] = [];
  let reader: { disconnect(): Promise<void> };

  // The production composition of the duration process, in this process, on the test topics.
  const service = async (): Promise<StreamService> => {
    await model?.stop();
    model = await createModelProcess(
      { model: 'duration' },
      { kafka, registry: testRegistry(), logger: testLogger(), env: { GROUP_ID: `${prefix}.duration` } },
    );
    return model.service;
  };
  const ridesNamed = (tag: string): RideStarted[] =>
    templates.slice(0, 10).map((r, i) => ({ ...r, ride_id: `${prefix}-${tag}-${i}`, event_time: Date.now() }));
  const count = (tag: string) => predictions.filter((p) => p.ride_id.includes(`-${tag}-`)).length;

  beforeAll(async () => {
    admin = await kafka.admin();
    await admin.createTopics([
      { topic: config.topicRides, partitions: 3 },
      { topic: config.topicPredictions, partitions: 3 },
      { topic: `${config.topicRides}.dlq`, partitions: 1 },
    ]);
    publisher = await createRidePublisher(kafka, testRegistry(), config.topicRides);
    const { rows } = await loadRideCsv(new URL('../../models/data/test_rides.csv', import.meta.url).pathname);
    templates = rows.flatMap((r) => (r.ok ? [r.ride] : []));
    const serde = await createSerde<PredictionRecord>(
      testRegistry(),
      valueSubject(config.topicPredictions),
      loadSchema('prediction'),
    );
    const consumer = await kafka.consumer({ groupId: randomName('replay-reader') });
    void consumer.run([config.topicPredictions], async (batch) => {
      for (const r of batch.records) predictions.push(await serde.decode(r.value));
    });
    reader = consumer;
  });

  afterAll(async () => {
    await reader?.disconnect();
    await publisher?.close();
    await model?.model.close();
    await admin?.deleteTopics([config.topicRides, config.topicPredictions, `${config.topicRides}.dlq`]);
    await admin?.disconnect();
  });

  it('re-scores the rides after the given time, and none before; refuses while the group is live', async () => {
    const first = await service();
    await first.start();
    await publisher.publish(ridesNamed('before'));
    await eventually(() => count('before') === 10, 'predictions of the first rides');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const from = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await publisher.publish(ridesNamed('after'));
    await eventually(() => count('after') === 10, 'predictions of the later rides');

    expect(await runFleet(['replay', 'duration', '--from', from])).toBe(1); // the group is live
    await first.stop();
    expect(await runFleet(['replay', 'duration', '--from', from])).toBe(0);

    const second = await service();
    await second.start();
    await eventually(() => count('after') === 20, 'the later rides to be scored again', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await second.stop();
    expect(count('before')).toBe(10);
    expect(count('after')).toBe(20);
  });

  it('rejects a bad time with exit code 2', async () => {
    expect(await runFleet(['replay', 'duration', '--from', 'yesterday'])).toBe(2);
    expect(await runFleet(['replay', 'nope', '--to-latest'])).toBe(2);
  });
});
