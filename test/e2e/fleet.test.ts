import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRideCsv, type RideStarted } from '@fleet/contract';
import { DLQ_HEADERS, type IncomingRecord } from '@fleet/core';
import { readTopic } from '../faults/lib/audit.js';
import { eventually, randomName, stack, testKafka } from '../helpers.js';
import { startFleet, type FleetHarness } from '../fleet-harness.js';
import { READ_BACK_MS, REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

const RIDES = 150;
/** The decision service's join timeout: a ride is decided at the latest this long after its first prediction. */
const JOIN_TIMEOUT_MS = 20_000;
/** How long the started fleet may take to decide a ride: the join timeout, and the scoring before it. */
const DECIDED_WITHIN_MS = JOIN_TIMEOUT_MS + WORK_ALLOWANCE_MS;
/** The tests that wait for decisions, then read a topic back. */
const TEST_TIMEOUT_MS = testTimeoutMs(DECIDED_WITHIN_MS, READ_BACK_MS);
/** The standard client's group joins (a first join), then the rides are decided. */
const STANDARD_READ_MS = REBALANCE_TIMEOUT_MS + DECIDED_WITHIN_MS;

async function testRides(): Promise<RideStarted[]> {
  const { rows } = await loadRideCsv(new URL('../../models/data/test_rides.csv', import.meta.url).pathname);
  const rides = rows.flatMap((r) => (r.ok ? [r.ride] : []));
  return rides
    .slice(0, RIDES)
    .map((ride, i) => ({ ...ride, ride_id: `${randomName('ride')}-${i}`, event_time: Date.now() }));
}

/** Every record `topic` holds now (read to its end offsets), not what a listener happened to receive. */
async function readAll(fleet: FleetHarness, topic: string): Promise<IncomingRecord[]> {
  return readTopic(testKafka('e2e-reader'), fleet.admin, topic);
}

describe('the fleet end to end (real broker, registry and ONNX models)', () => {
  let fleet: FleetHarness;
  let rides: RideStarted[];

  beforeAll(
    async () => {
      fleet = await startFleet({ joinTimeoutMs: JOIN_TIMEOUT_MS });
      rides = await testRides();
      // Each service has joined its group once started: a first join, then loading the models.
    },
    testTimeoutMs(REBALANCE_TIMEOUT_MS, WORK_ALLOWANCE_MS),
  );
  afterAll(async () => {
    await fleet?.stop();
  });

  it(
    'decides every ride exactly once, complete, with the estimates the models give directly',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const half = rides.length / 2;
      await fleet.publisher.publish(rides.slice(0, half));
      // A poison record between valid ones: not Avro at all, on the same topic.
      const producer = await testKafka('poison').producer();
      await producer.send([
        {
          topic: fleet.topics.rides,
          records: [{ key: 'poison-1', value: Buffer.from('{"ride_id":"json, not avro"}\r\n') }],
        },
      ]);
      await producer.disconnect();
      await fleet.publisher.publish(rides.slice(half));

      const ids = new Set(rides.map((r) => r.ride_id));
      const byId = new Map<string, (typeof fleet.decisions)[number]>();
      await eventually(
        () => {
          for (const d of fleet.decisions) if (ids.has(d.ride_id) && !byId.has(d.ride_id)) byId.set(d.ride_id, d);
          return byId.size === ids.size;
        },
        `${rides.length} decisions`,
        DECIDED_WITHIN_MS,
      );
      // Exactly once on the topic itself: one decision record per ride, keyed by its id.
      const perRide = new Map<string, number>();
      for (const r of await readAll(fleet, fleet.topics.decisions)) {
        const key = r.key?.toString() ?? '';
        if (ids.has(key)) perRide.set(key, (perRide.get(key) ?? 0) + 1);
      }
      expect(new Set(perRide.keys())).toEqual(ids);
      expect(
        [...perRide].filter(([, n]) => n > 1),
        'rides decided more than once',
      ).toEqual([]);

      const decisions = [...byId.values()];
      expect(decisions.every((d) => d.complete && d.missing_models.length === 0)).toBe(true);

      const [duration, cost, tip] = await Promise.all(
        ['duration', 'cost', 'tip'].map((m) => fleet.models[m].predict(rides)),
      );
      rides.forEach((ride, i) => {
        const d = byId.get(ride.ride_id)!;
        expect(d.duration_min).toBeCloseTo(duration[i], 9);
        expect(d.cost_usd).toBeCloseTo(cost[i], 9);
        expect(d.tip_usd).toBeCloseTo(tip[i], 9);
        expect(d.model_versions).toEqual({
          duration: fleet.models.duration.version,
          cost: fleet.models.cost.version,
          tip: fleet.models.tip.version,
        });
      });
    },
  );

  it(
    'puts the poison record in the DLQ once per model service, with its bytes and where it came from',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // Each model service dead-letters the poison with the batch it came in, decided in the test above.
      const total = async () =>
        (await fleet.admin.fetchEndOffsets(fleet.topics.ridesDlq)).reduce((n, p) => n + Number(p.offset), 0);
      await eventually(async () => (await total()) >= 3, 'the 3 dead letters of the poison record', DECIDED_WITHIN_MS);
      const dead = await readAll(fleet, fleet.topics.ridesDlq);
      expect(dead).toHaveLength(3);
      const groups = dead.map((r) => r.headers[DLQ_HEADERS.consumerGroup]).sort();
      expect(groups.every((g) => /\.(cost|duration|tip)$/.test(g))).toBe(true);
      for (const record of dead) {
        expect(record.key?.toString()).toBe('poison-1');
        expect(record.value?.toString()).toBe('{"ride_id":"json, not avro"}\r\n');
        expect(record.headers[DLQ_HEADERS.errorCode]).toBe('FLEET_SERDE_NOT_CONFLUENT_WIRE');
        expect(record.headers[DLQ_HEADERS.sourceTopic]).toBe(fleet.topics.rides);
        expect(Number(record.headers[DLQ_HEADERS.sourcePartition])).toBeGreaterThanOrEqual(0);
        expect(record.headers[DLQ_HEADERS.sourceOffset]).toMatch(/^\d+$/);
        expect(Date.parse(record.headers[DLQ_HEADERS.failedAt])).toBeGreaterThan(Date.now() - 600_000);
        expect(record.headers[DLQ_HEADERS.errorMessage]).not.toMatch(/[\r\n]/);
      }
    },
  );

  it(
    'decides rides written by a standard Confluent-wire-format client, and that client reads the decisions',
    { timeout: testTimeoutMs(STANDARD_READ_MS) },
    async () => {
      // Plain kafkajs + @kafkajs/confluent-schema-registry, not this project's serde or client seam.
      const registry = new SchemaRegistry({ host: stack().registryUrl });
      const kafka = new Kafka({ brokers: stack().brokers, clientId: 'standard-client', logLevel: logLevel.NOTHING });
      const rideSchemaId = await registry.getLatestSchemaId(`${fleet.topics.rides}-value`);
      const theirs = rides
        .slice(0, 20)
        .map((r, i) => ({ ...r, ride_id: `${randomName('std')}-${i}`, event_time: Date.now() }));
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: fleet.topics.rides,
        messages: await Promise.all(
          theirs.map(async (r) => ({ key: r.ride_id, value: await registry.encode(rideSchemaId, r) })),
        ),
      });
      await producer.disconnect();

      const ids = new Set(theirs.map((r) => r.ride_id));
      const decided = new Map<string, { complete: boolean; cost_usd: number | null }>();
      const consumer = kafka.consumer({ groupId: randomName('std-reader') });
      await consumer.connect();
      await consumer.subscribe({ topic: fleet.topics.decisions, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const decision = await registry.decode(message.value!);
          if (ids.has(decision.ride_id)) decided.set(decision.ride_id, decision);
        },
      });
      await eventually(
        () => decided.size === ids.size,
        `${ids.size} decisions read by the standard client`,
        STANDARD_READ_MS,
      );
      await consumer.disconnect();
      expect([...decided.values()].every((d) => d.complete && typeof d.cost_usd === 'number')).toBe(true);
    },
  );
});
