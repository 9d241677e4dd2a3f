import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS, loadRideCsv, type IncomingRecord, type RideStarted } from '@fleet/core';
import { eventually, randomName, stack, testKafka } from '../helpers.js';
import { startFleet, type FleetHarness } from '../fleet-harness.js';

const RIDES = 150;

async function testRides(): Promise<RideStarted[]> {
  const { rows } = await loadRideCsv(new URL('../../models/data/test_rides.csv', import.meta.url).pathname);
  const rides = rows.flatMap((r) => (r.ok ? [r.ride] : []));
  return rides
    .slice(0, RIDES)
    .map((ride, i) => ({ ...ride, ride_id: `${randomName('ride')}-${i}`, event_time: Date.now() }));
}

async function readAll(topic: string, expected: number): Promise<IncomingRecord[]> {
  const kafka = testKafka('dlq-reader');
  const records: IncomingRecord[] = [];
  const consumer = await kafka.consumer({ groupId: randomName('dlq-reader') });
  void consumer.run([topic], async (batch) => {
    records.push(...batch.records);
  });
  await eventually(() => records.length >= expected, `${expected} records on ${topic}`);
  await consumer.disconnect();
  return records;
}

describe('the fleet end to end (real broker, registry and ONNX models)', () => {
  let fleet: FleetHarness;
  let rides: RideStarted[];

  beforeAll(async () => {
    fleet = await startFleet();
    rides = await testRides();
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('decides every ride exactly once, complete, with the estimates the models give directly', async () => {
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
    const mine = () => fleet.decisions.filter((d) => ids.has(d.ride_id));
    await eventually(() => mine().length >= rides.length, `${rides.length} decisions`, 90_000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // room for a duplicate to show up

    const decisions = mine();
    expect(decisions).toHaveLength(rides.length);
    expect(new Set(decisions.map((d) => d.ride_id))).toEqual(ids);
    expect(decisions.every((d) => d.complete && d.missing_models.length === 0)).toBe(true);

    const [duration, cost, tip] = await Promise.all(
      ['duration', 'cost', 'tip'].map((m) => fleet.models[m].predict(rides)),
    );
    const byId = new Map(decisions.map((d) => [d.ride_id, d]));
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
  });

  it('puts the poison record in the DLQ once per model service, with its bytes and where it came from', async () => {
    const dead = await readAll(fleet.topics.ridesDlq, 3);
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
  });

  it('decides rides written by a standard Confluent-wire-format client, and that client reads the decisions', async () => {
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
    await eventually(() => decided.size === ids.size, `${ids.size} decisions read by the standard client`, 60_000);
    await consumer.disconnect();
    expect([...decided.values()].every((d) => d.complete && typeof d.cost_usd === 'number')).toBe(true);
  });
});
