import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchema, type RideStarted } from '@fleet/contract';
import { DLQ_HEADERS, dlqTopic, within, type IncomingRecord } from '@fleet/core';
import { createModelProcess, type ModelProcess } from '@fleet/scoring';
import { eventually, randomName, stack, testKafka, testLogger, testRegistry } from '../helpers.js';
import { READ_BACK_MS, REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

// Bad records are written by a plain kafkajs producer and @kafkajs/confluent-schema-registry,
// not by this project's code, as a foreign producer would.
const prefix = randomName('bad');
const topic = `${prefix}.ride_started`;
const predictionsTopic = `${prefix}.predictions`;
const valid: RideStarted = {
  ride_id: 'valid',
  event_time: Date.now(),
  pickup_time: Date.UTC(2019, 2, 23, 20, 21),
  pickup_zone: 'Lenox Hill West',
  dropoff_zone: 'UN/Turtle Bay South',
  pickup_borough: 'Manhattan',
  dropoff_borough: 'Manhattan',
  estimated_distance_miles: 1.6,
  passengers: 1,
  service_color: 'YELLOW',
  payment_method: 'CREDIT_CARD',
};

type Case = { name: string; code: string; message: (ids: Ids) => Promise<Message> | Message };
type Ids = {
  ride: number;
  otherSchema: number;
  extraEnum: number;
  jsonSchema: number;
  encode: (id: number, v: object) => Promise<Buffer>;
};

const ride = async (ids: Ids, patch: Partial<Record<keyof RideStarted, unknown>>, key = 'k'): Promise<Message> => ({
  key,
  value: await ids.encode(ids.ride, { ...valid, ride_id: key, ...patch }),
});

const CASES: Case[] = [
  {
    name: 'empty value',
    code: 'FLEET_SERDE_NOT_CONFLUENT_WIRE',
    message: () => ({ key: 'k', value: Buffer.alloc(0) }),
  },
  { name: 'tombstone', code: 'FLEET_SERDE_NOT_CONFLUENT_WIRE', message: () => ({ key: 'k', value: null }) },
  {
    name: 'null key',
    code: 'FLEET_VALIDATION_FAILED',
    message: async (ids) => ({ ...(await ride(ids, {})), key: null }),
  },
  {
    name: 'truncated Avro',
    code: 'FLEET_SERDE_DECODE_FAILED',
    message: async (ids) => {
      const m = await ride(ids, {});
      return { ...m, value: (m.value as Buffer).subarray(0, 12) };
    },
  },
  {
    name: 'garbage bytes',
    code: 'FLEET_SERDE_NOT_CONFLUENT_WIRE',
    message: () => ({ key: 'k', value: Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]) }),
  },
  {
    name: 'wrong magic byte',
    code: 'FLEET_SERDE_NOT_CONFLUENT_WIRE',
    message: async (ids) => {
      const m = await ride(ids, {});
      const bytes = Buffer.from(m.value as Buffer);
      bytes[0] = 1;
      return { ...m, value: bytes };
    },
  },
  {
    name: 'unknown schema id',
    code: 'FLEET_SERDE_UNKNOWN_SCHEMA',
    message: async (ids) => {
      const m = await ride(ids, {});
      const bytes = Buffer.from(m.value as Buffer);
      bytes.writeInt32BE(0x7ffffff0, 1);
      return { ...m, value: bytes };
    },
  },
  {
    name: 'a record of another schema',
    code: 'FLEET_SERDE_WRONG_SCHEMA',
    message: async (ids) => ({
      key: 'k',
      value: await ids.encode(ids.otherSchema, {
        ride_id: 'k',
        model: 'duration',
        model_version: '1',
        value: 1,
        unit: 'minutes',
        event_time: 1,
        predicted_at: 1,
      }),
    }),
  },
  {
    name: 'NaN distance',
    code: 'FLEET_VALIDATION_FAILED',
    message: (ids) => ride(ids, { estimated_distance_miles: Number.NaN }),
  },
  {
    name: '+Infinity distance',
    code: 'FLEET_VALIDATION_FAILED',
    message: (ids) => ride(ids, { estimated_distance_miles: Infinity }),
  },
  {
    name: '-Infinity distance',
    code: 'FLEET_VALIDATION_FAILED',
    message: (ids) => ride(ids, { estimated_distance_miles: -Infinity }),
  },
  {
    name: 'negative distance',
    code: 'FLEET_VALIDATION_FAILED',
    message: (ids) => ride(ids, { estimated_distance_miles: -3 }),
  },
  {
    name: 'absurd distance',
    code: 'FLEET_VALIDATION_FAILED',
    message: (ids) => ride(ids, { estimated_distance_miles: 25_000 }),
  },
  { name: 'passengers -1', code: 'FLEET_VALIDATION_FAILED', message: (ids) => ride(ids, { passengers: -1 }) },
  { name: 'passengers 40', code: 'FLEET_VALIDATION_FAILED', message: (ids) => ride(ids, { passengers: 40 }) },
  { name: 'pickup at the epoch', code: 'FLEET_VALIDATION_FAILED', message: (ids) => ride(ids, { pickup_time: 0 }) },
  {
    name: 'event far in the future',
    code: 'FLEET_VALIDATION_FAILED',
    message: (ids) => ride(ids, { event_time: Date.UTC(2100, 0, 1) }),
  },
  {
    // Past the last instant a JavaScript Date holds: its message must not throw.
    name: 'pickup past the last JavaScript date',
    code: 'FLEET_VALIDATION_FAILED',
    message: (ids) => ride(ids, { pickup_time: 9e15 }),
  },
  { name: 'empty ride_id', code: 'FLEET_VALIDATION_FAILED', message: (ids) => ride(ids, { ride_id: '' }) },
  {
    name: '10 KB ride_id',
    code: 'FLEET_VALIDATION_FAILED',
    message: (ids) => ride(ids, { ride_id: 'r'.repeat(10_240) }),
  },
  {
    name: 'ride_id with CR/LF',
    code: 'FLEET_VALIDATION_FAILED',
    message: (ids) => ride(ids, { ride_id: 'evil\r\nX-Injected: 1' }),
  },
  {
    // A producer on a JSON Schema serializer: the registry knows the id, as no Avro schema.
    name: 'a record of a JSON schema',
    code: 'FLEET_SERDE_WRONG_SCHEMA',
    message: async (ids) => {
      const json = Buffer.from(JSON.stringify({ ...valid, ride_id: 'k' }));
      const header = Buffer.alloc(5);
      header.writeInt32BE(ids.jsonSchema, 1);
      return { key: 'k', value: Buffer.concat([header, json]) };
    },
  },
  {
    name: 'unknown enum value',
    code: 'FLEET_SERDE_WRONG_SCHEMA',
    message: async (ids) => ({ key: 'k', value: await ids.encode(ids.extraEnum, { ...valid, service_color: 'BLUE' }) }),
  },
  {
    name: '1 MB record',
    code: 'FLEET_VALIDATION_FAILED',
    message: (ids) => ride(ids, { pickup_zone: 'z'.repeat(1_000_000) }),
  },
];

describe('bad input is refused into the DLQ with a precise code, and the partition moves on', () => {
  const kafka = new Kafka({ brokers: stack().brokers, clientId: 'foreign-producer', logLevel: logLevel.NOTHING });
  const registry = new SchemaRegistry({ host: stack().registryUrl });
  let proc: ModelProcess;
  const dead: IncomingRecord[] = [];
  const predicted = new Set<string>();
  let stopReaders: () => Promise<void>;

  beforeAll(async () => {
    const ours = testKafka('bad-input');
    const admin = await ours.admin();
    await admin.createTopics([
      { topic, partitions: 1 },
      { topic: predictionsTopic, partitions: 1 },
      { topic: dlqTopic(topic), partitions: 1 },
    ]);
    await admin.disconnect();
    proc = await createModelProcess(
      { model: 'tip' },
      {
        kafka: ours,
        registry: testRegistry(),
        logger: testLogger(),
        env: {
          TOPIC_RIDES: topic,
          TOPIC_PREDICTIONS: predictionsTopic,
          GROUP_ID: `${prefix}.tip`,
          KAFKA_BROKERS: stack().brokers.join(','),
          SCHEMA_REGISTRY_URL: stack().registryUrl,
        },
      },
    );
    await proc.service.start();
    const dlqReader = await ours.consumer({ groupId: randomName('dlq') });
    void dlqReader.run([dlqTopic(topic)], async (b) => {
      dead.push(...b.records);
    });
    const predictionReader = await ours.consumer({ groupId: randomName('pred') });
    void predictionReader.run([predictionsTopic], async (b) => {
      for (const r of b.records) predicted.add(r.key!.toString());
    });
    stopReaders = async () => {
      await dlqReader.disconnect();
      await predictionReader.disconnect();
    };
  });

  afterAll(async () => {
    await proc?.stop();
    await stopReaders?.();
  });

  it(
    'sends each bad record to the DLQ with its code and scores every valid record around them',
    { timeout: testTimeoutMs(READ_BACK_MS) },
    async () => {
      const rideSubject = `${topic}-value`;
      const schema = loadSchema('ride_started') as { fields: Array<{ name: string; type: unknown }> };
      const withBlue = {
        ...schema,
        fields: schema.fields.map((f) =>
          f.name === 'service_color'
            ? { ...f, type: { type: 'enum', name: 'ServiceColor', symbols: ['YELLOW', 'GREEN', 'BLUE'] } }
            : f,
        ),
      };
      const ids: Ids = {
        // The fleet's subject is FULL_TRANSITIVE, which this client checks before registering.
        ride: (
          await registry.register(
            { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
            { subject: rideSubject, compatibility: COMPATIBILITY.FULL_TRANSITIVE },
          )
        ).id,
        otherSchema: (
          await registry.register(
            { type: SchemaType.AVRO, schema: JSON.stringify(loadSchema('prediction')) },
            { subject: `${prefix}.other-value` },
          )
        ).id,
        extraEnum: (
          await registry.register(
            { type: SchemaType.AVRO, schema: JSON.stringify(withBlue) },
            { subject: `${prefix}.blue-value` },
          )
        ).id,
        jsonSchema: (
          await registry.register(
            {
              type: SchemaType.JSON,
              schema: JSON.stringify({
                $schema: 'http://json-schema.org/draft-07/schema#',
                type: 'object',
                properties: { ride_id: { type: 'string' } },
              }),
            },
            { subject: `${prefix}.json-value` },
          )
        ).id,
        encode: (id, v) => registry.encode(id, v),
      };
      const messages: Message[] = [];
      for (const [i, c] of CASES.entries()) {
        const bad = await c.message(ids);
        messages.push({ ...bad, headers: { 'x-case': String(i), 'x-note': 'line1\r\nline2' } });
        messages.push(await ride(ids, {}, `valid-${i}`));
      }
      const producer = kafka.producer();
      await producer.connect();
      for (const m of messages) await producer.send({ topic, messages: [m] });
      await producer.disconnect();

      await eventually(
        () => predicted.size >= CASES.length && dead.length >= CASES.length,
        'all records handled',
        READ_BACK_MS,
      );
      expect([...predicted].sort()).toEqual(CASES.map((_, i) => `valid-${i}`).sort());
      const byCase = new Map(dead.map((r) => [Number(r.headers['x-case']), r]));
      const results = CASES.map((c, i) => ({ name: c.name, code: byCase.get(i)?.headers[DLQ_HEADERS.errorCode] }));
      expect(results).toEqual(CASES.map((c) => ({ name: c.name, code: c.code })));
      for (const r of dead) {
        for (const [name, value] of Object.entries(r.headers)) {
          expect(`${name}: ${value}`).not.toMatch(/[\r\n]/);
        }
        expect(r.headers[DLQ_HEADERS.sourceTopic]).toBe(topic);
        expect(r.headers[DLQ_HEADERS.consumerGroup]).toBe(`${prefix}.tip`);
      }
    },
  );
});

describe('a model that returns a non-finite number', () => {
  it(
    'sends just that ride to the DLQ with FLEET_MODEL_NON_FINITE_OUTPUT and predicts the others',
    {
      // The service's group join, the reader's join and read, the stops: each bounded below.
      timeout: testTimeoutMs(REBALANCE_TIMEOUT_MS, READ_BACK_MS, WORK_ALLOWANCE_MS),
    },
    async () => {
      const kafka = testKafka('non-finite');
      const admin = await kafka.admin();
      const p = randomName('nan');
      await admin.createTopics([
        { topic: `${p}.rides`, partitions: 1 },
        { topic: `${p}.predictions`, partitions: 1 },
        { topic: dlqTopic(`${p}.rides`), partitions: 1 },
      ]);
      // The production composition with its model replaced by one that cannot score rides
      // whose id starts with "nan".
      const broken = await createModelProcess(
        { model: 'tip' },
        {
          kafka,
          registry: testRegistry(),
          logger: testLogger(),
          env: {
            TOPIC_RIDES: `${p}.rides`,
            TOPIC_PREDICTIONS: `${p}.predictions`,
            GROUP_ID: `${p}.broken`,
            KAFKA_BROKERS: stack().brokers.join(','),
            SCHEMA_REGISTRY_URL: stack().registryUrl,
          },
          scorer: (real) => ({
            ...real,
            score: async (rides) => ({
              value: rides.map((r) => (r.ride_id.startsWith('nan') ? Number.NaN : 1)),
              lower: null,
              upper: null,
            }),
          }),
        },
      );
      const { service } = broken;
      await within('the model service starts (its group joined)', REBALANCE_TIMEOUT_MS, service.start());
      const { createRidePublisher } = await import('@fleet/backend');
      const publisher = await createRidePublisher(kafka, testRegistry(), `${p}.rides`);
      await publisher.publish(
        ['ok-1', 'nan-1', 'ok-2'].map((ride_id) => ({ ...valid, ride_id, event_time: Date.now() })),
      );
      const seen: IncomingRecord[] = [];
      const reader = await kafka.consumer({ groupId: randomName('nan-reader') });
      void reader.run([dlqTopic(`${p}.rides`), `${p}.predictions`], async (b) => {
        seen.push(...b.records);
      });
      // At least: a record read twice (at-least-once) fails the exact checks below, not this wait.
      await eventually(() => seen.length >= 3, 'two predictions and one dead letter', READ_BACK_MS);
      await within(
        'the reader, the publisher and the service stop',
        WORK_ALLOWANCE_MS,
        Promise.all([reader.disconnect(), publisher.close(), broken.stop()]),
      );
      const dead = seen.filter((r) => r.topic === dlqTopic(`${p}.rides`));
      expect(dead.map((r) => [r.key?.toString(), r.headers[DLQ_HEADERS.errorCode]])).toEqual([
        ['nan-1', 'FLEET_MODEL_NON_FINITE_OUTPUT'],
      ]);
      expect(
        seen
          .filter((r) => r.topic === `${p}.predictions`)
          .map((r) => r.key?.toString())
          .sort(),
      ).toEqual(['ok-1', 'ok-2']);
      await admin.deleteTopics([`${p}.rides`, `${p}.predictions`, dlqTopic(`${p}.rides`)]);
      await admin.disconnect();
    },
  );
});
