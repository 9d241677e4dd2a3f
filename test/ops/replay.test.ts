import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRidePublisher, type RidePublisher } from '@fleet/backend';
import { loadRideCsv, loadSchema, valueSubject, type PredictionRecord, type RideStarted } from '@fleet/contract';
import { commonEnv, createSerde, loadConfig, type AdminClient, type StreamService } from '@fleet/core';
import { createModelProcess, type ModelProcess } from '@fleet/scoring';
import { eventually, randomName, stack, testKafka, testLogger, testRegistry } from '../helpers.js';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

/** The duration service's session timeout: a member that left without a word is dropped after it. */
const SESSION_TIMEOUT_MS = 10_000;
/** Starting the service: its group's join waits at most for a member gone silent, then for a rebalance. */
const STARTED_WITHIN_MS = SESSION_TIMEOUT_MS + REBALANCE_TIMEOUT_MS;
/** Once it has joined its group, the service scores a few rides: work. */
const SCORED_WITHIN_MS = WORK_ALLOWANCE_MS;
/** The first predictions also wait for the reader's group to join (it reads from the beginning). */
const FIRST_READ_MS = REBALANCE_TIMEOUT_MS + SCORED_WITHIN_MS;

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
      {
        kafka,
        registry: testRegistry(),
        logger: testLogger(),
        env: { GROUP_ID: `${prefix}.duration`, KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS) },
      },
    );
    return model.service;
  };
  const ridesNamed = (tag: string): RideStarted[] =>
    templates.slice(0, 10).map((r, i) => ({ ...r, ride_id: `${prefix}-${tag}-${i}`, event_time: Date.now() }));
  const count = (tag: string) => predictions.filter((p) => p.ride_id.includes(`-${tag}-`)).length;
  /** Ride id → when each of its predictions was made. */
  const scoredAt = (tag: string): Map<string, number[]> => {
    const out = new Map(ridesNamed(tag).map((r) => [r.ride_id, [] as number[]]));
    for (const p of predictions) out.get(p.ride_id)?.push(p.predicted_at);
    return out;
  };

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
  }, testTimeoutMs(WORK_ALLOWANCE_MS));

  afterAll(async () => {
    await reader?.disconnect();
    await publisher?.close();
    await model?.model.close();
    await admin?.deleteTopics([config.topicRides, config.topicPredictions, `${config.topicRides}.dlq`]);
    await admin?.disconnect();
  }, testTimeoutMs(WORK_ALLOWANCE_MS));

  const timeout = testTimeoutMs(
    STARTED_WITHIN_MS,
    FIRST_READ_MS,
    SCORED_WITHIN_MS,
    STARTED_WITHIN_MS,
    SCORED_WITHIN_MS,
    WORK_ALLOWANCE_MS,
  );
  it(
    're-scores the rides after the given time, and none before; refuses while the group is live, and a move back unless asked',
    { timeout },
    async () => {
      // Delivery is at least once: a ride may be scored more than once, never not at all.
      const first = await service();
      await first.start();
      await publisher.publish(ridesNamed('before'));
      await eventually(() => count('before') >= 10, 'predictions of the first rides', FIRST_READ_MS);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const from = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await publisher.publish(ridesNamed('after'));
      await eventually(() => count('after') >= 10, 'predictions of the later rides', SCORED_WITHIN_MS);

      expect(await runFleet(['replay', 'duration', '--from', from])).toBe(1); // the group is live
      expect(await runFleet(['replay', 'duration', '--from', from, '--dry-run'])).toBe(0); // a look is allowed
      await first.stop();
      // Every prediction made from now on is the replay's: the first service is gone.
      const replayedAt = Date.now();
      // Moving a model service back publishes predictions again: only when asked for.
      expect(await runFleet(['replay', 'duration', '--from', from])).toBe(1);
      expect(await runFleet(['replay', 'duration', '--from', from, '--republish'])).toBe(0);
      const rescored = (tag: string) => [...scoredAt(tag).values()].filter((at) => at.some((t) => t >= replayedAt));

      const second = await service();
      await second.start();
      await eventually(() => rescored('after').length === 10, 'the later rides to be scored again', SCORED_WITHIN_MS);
      await second.stop();
      // The reader has read every prediction the topic holds, so none made by the replay is missed.
      const total = async () =>
        (await admin.fetchEndOffsets(config.topicPredictions)).reduce((n, p) => n + Number(p.offset), 0);
      const held = await total();
      await eventually(
        () => predictions.length >= held,
        `the reader to read all ${held} predictions`,
        WORK_ALLOWANCE_MS,
      );

      for (const [id, at] of scoredAt('before')) {
        expect(at.length, `${id} was scored`).toBeGreaterThan(0);
        expect(
          at.filter((t) => t >= replayedAt),
          `${id}, before the replay time, scored again`,
        ).toEqual([]);
      }
      for (const [id, at] of scoredAt('after')) {
        expect(at.filter((t) => t < replayedAt).length, `${id} scored before the replay`).toBeGreaterThan(0);
        expect(at.filter((t) => t >= replayedAt).length, `${id} scored again by the replay`).toBeGreaterThan(0);
      }
    },
  );

  it('rejects a bad time with exit code 2', async () => {
    expect(await runFleet(['replay', 'duration', '--from', 'yesterday'])).toBe(2);
    expect(await runFleet(['replay', 'duration', '--from', '2026-11-25T10:00:00'])).toBe(2); // no offset
    expect(await runFleet(['replay', 'nope', '--to-latest'])).toBe(2);
  });
});
