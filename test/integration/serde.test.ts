import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFleetError, isRetriable, loadSchema, valueSubject, type RideStarted } from '@fleet/contract';
import { createSerde, type AdminClient, type IncomingRecord, type Serde } from '@fleet/core';
import { eventually, randomName, stack, testKafka, testRegistry, withTopics } from '../helpers.js';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

const ride: RideStarted = {
  ride_id: 'ride-0001',
  event_time: 1_700_000_000_123,
  pickup_time: 1_552_940_469_000,
  pickup_zone: 'Lenox Hill West',
  dropoff_zone: null,
  pickup_borough: 'Manhattan',
  dropoff_borough: null,
  estimated_distance_miles: 1.6,
  passengers: 1,
  service_color: 'YELLOW',
  payment_method: 'CREDIT_CARD',
};

/** What `decode` throws, synchronously or as a rejection. */
async function failure(decode: () => unknown): Promise<unknown> {
  try {
    await decode();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('Avro serde through the schema registry', () => {
  const kafka = testKafka('serde-test');
  let admin: AdminClient;
  let topic: string;
  let cleanup: () => Promise<void>;
  let serde: Serde<RideStarted>;

  beforeAll(async () => {
    admin = await kafka.admin();
    ({
      names: [topic],
      cleanup,
    } = await withTopics(admin, [{ prefix: 'rides' }]));
    serde = await createSerde<RideStarted>(testRegistry(), valueSubject(topic), loadSchema('ride_started'));
  });
  afterAll(async () => {
    await cleanup();
    await admin.disconnect();
  });

  it(
    'round-trips a ride_started through a real topic in the Confluent wire format',
    { timeout: testTimeoutMs(REBALANCE_TIMEOUT_MS, WORK_ALLOWANCE_MS) },
    async () => {
      const producer = await kafka.producer();
      await producer.send([{ topic, records: [{ key: ride.ride_id, value: serde.encode(ride) }] }]);
      await producer.disconnect();

      const received: IncomingRecord[] = [];
      const consumer = await kafka.consumer({ groupId: randomName('serde') });
      void consumer.run([topic], async (batch) => {
        received.push(...batch.records);
      });
      // A new group's first join, then the record.
      await eventually(() => received.length >= 1, 'the record to come back', REBALANCE_TIMEOUT_MS + WORK_ALLOWANCE_MS);
      await consumer.disconnect();

      const bytes = received[0].value!;
      expect(bytes[0]).toBe(0);
      expect(bytes.readInt32BE(1)).toBe(serde.schemaId);
      expect(received[0].key?.toString()).toBe(ride.ride_id);
      expect(await serde.decode(bytes)).toEqual(ride);
    },
  );

  it('is readable by, and reads, a standard Confluent-wire-format client', async () => {
    const standard = new SchemaRegistry({ host: stack().registryUrl });
    expect(await standard.decode(serde.encode(ride))).toEqual(ride);
    const id = await standard.getRegistryIdBySchema(valueSubject(topic), {
      type: SchemaType.AVRO,
      schema: JSON.stringify(loadSchema('ride_started')),
    });
    const theirs = await standard.encode(id, { ...ride, ride_id: 'from-standard-client' });
    expect(await serde.decode(theirs)).toEqual({ ...ride, ride_id: 'from-standard-client' });
  });

  it('refuses a change old consumers could not read: a new enum symbol, a field removed without a default', async () => {
    type Field = { name: string; type: unknown };
    const base = loadSchema('ride_started') as { fields: Field[] };
    // Registered over the fleet's schema, each would make every service still on it dead-letter every ride.
    const newColour = {
      ...base,
      fields: base.fields.map((f) =>
        f.name === 'service_color' ? { ...f, type: { ...(f.type as object), symbols: ['YELLOW', 'GREEN', 'FHV'] } } : f,
      ),
    };
    const removed = { ...base, fields: base.fields.filter((f) => f.name !== 'passengers') };
    for (const schema of [newColour, removed]) {
      const error = await createSerde(testRegistry(), valueSubject(topic), schema).catch((err: unknown) => err);
      expect(isFleetError(error, 'FLEET_REGISTRY_INCOMPATIBLE'), String(error)).toBe(true);
    }
  });

  it('refuses a schema change that breaks BACKWARD compatibility', async () => {
    const base = loadSchema('ride_started') as { fields: Array<{ name: string }> };
    // A new required field without a default: old records cannot be read with it.
    const breaking = { ...base, fields: [...base.fields, { name: 'surge_factor', type: 'double' }] };
    const error = await createSerde(testRegistry(), valueSubject(topic), breaking).catch((err: unknown) => err);
    expect(isFleetError(error, 'FLEET_REGISTRY_INCOMPATIBLE')).toBe(true);
  });

  it('accepts a BACKWARD-compatible change (a new field with a default)', async () => {
    const base = loadSchema('ride_started') as { fields: object[] };
    const evolved = {
      ...base,
      fields: [...base.fields, { name: 'promo_code', type: ['null', 'string'], default: null }],
    };
    const next = await createSerde<RideStarted>(testRegistry(), valueSubject(topic), evolved);
    expect(next.schemaId).not.toBe(serde.schemaId);
    // Old readers resolve records written with the new schema.
    expect(await serde.decode(next.encode({ ...ride, promo_code: null } as RideStarted))).toEqual(ride);
  });

  it.each([
    ['garbage bytes', Buffer.from('not avro at all'), 'FLEET_SERDE_NOT_CONFLUENT_WIRE'],
    ['an empty value', Buffer.alloc(0), 'FLEET_SERDE_NOT_CONFLUENT_WIRE'],
    ['an unknown schema id', Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 0x02]), 'FLEET_SERDE_UNKNOWN_SCHEMA'],
  ] as const)('gives a typed, non-retriable error for %s', async (_what, bytes, code) => {
    const error = await failure(() => serde.decode(bytes));
    expect(isFleetError(error, code)).toBe(true);
    expect(isRetriable(error)).toBe(false);
  });

  it('gives FLEET_SERDE_DECODE_FAILED for truncated Avro', async () => {
    const bytes = serde.encode(ride);
    const error = await failure(() => serde.decode(bytes.subarray(0, bytes.length - 4)));
    expect(isFleetError(error, 'FLEET_SERDE_DECODE_FAILED')).toBe(true);
  });

  it('registers the same new subject from several services at once (regression: Apicurio 409 "rule already exists")', async () => {
    const subject = valueSubject(randomName('race'));
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => createSerde(testRegistry(), subject, loadSchema('prediction'))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill('fulfilled'));
  });
});
