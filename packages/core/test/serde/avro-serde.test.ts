import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import avro from 'avsc';
import { isFleetError, loadSchema } from '@fleet/contract';
import { describe, expect, it } from 'vitest';
import { createSerde } from '../../src/serde/avro-serde.js';
import type { Registry } from '../../src/serde/registry.js';

/** A registry stand-in that knows one schema under id 7 and counts the lookups by id. */
function registryOf(schema: object): Registry & { typeLookups: number[] } {
  const typeLookups: number[] = [];
  return {
    typeLookups,
    register: () => Promise.reject(new Error('not expected: the schema is registered')),
    lookup: () => Promise.resolve(7),
    typeById: (id) => {
      typeLookups.push(id);
      return Promise.resolve(avro.Type.forSchema(schema as avro.Schema));
    },
  };
}

const ride = {
  ride_id: 'r-1',
  event_time: 1_700_000_000_000,
  pickup_time: 1_700_000_000_000,
  pickup_zone: null,
  dropoff_zone: null,
  pickup_borough: null,
  dropoff_borough: null,
  estimated_distance_miles: 2.5,
  passengers: 1,
  service_color: 'YELLOW',
  payment_method: 'CREDIT_CARD',
};

// The first ride a service reads must not wait for an HTTP call to the registry for the
// schema the service itself was created with (the cold-start tail of the demo).
describe('the Avro serde', () => {
  it('decodes records of its own schema without asking the registry', async () => {
    const registry = registryOf(loadSchema('ride_started'));
    const serde = await createSerde(registry, 'rides-value', loadSchema('ride_started'));
    // Synchronously: a batch pays no promise per record.
    expect(serde.decode(serde.encode(ride))).toEqual(ride);
    expect(registry.typeLookups).toEqual([]);
  });

  it('looks a foreign writer schema up once, then decodes from cache', async () => {
    const registry = registryOf(loadSchema('ride_started'));
    const serde = await createSerde(registry, 'rides-value', loadSchema('ride_started'));
    const foreign = serde.encode(ride);
    foreign.writeInt32BE(8, 1);
    const first = serde.decode(foreign);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual(ride);
    expect(serde.decode(foreign)).toEqual(ride);
    expect(registry.typeLookups).toEqual([8]);
  });

  it('writes the wire header and the record at its own size, larger records included', async () => {
    const serde = await createSerde(registryOf(loadSchema('ride_started')), 'rides-value', loadSchema('ride_started'));
    const small = serde.encode(ride);
    expect([...small.subarray(0, 5)]).toEqual([0, 0, 0, 0, 7]);
    // Larger than the serde's scratch buffer: it grows, and the records after it still fit.
    const large = { ...ride, ride_id: 'x'.repeat(10_000) };
    const bytes = serde.encode(large);
    expect(await serde.decode(bytes)).toEqual(large);
    const type = avro.Type.forSchema(loadSchema('ride_started') as avro.Schema);
    expect(bytes.subarray(5)).toEqual(type.toBuffer(large));
    expect(await serde.decode(serde.encode(ride))).toEqual(ride);
    // Each record owns its bytes: encoding the next one does not change it.
    expect(await serde.decode(small)).toEqual(ride);
  });

  it('refuses a value that does not match its schema', async () => {
    const serde = await createSerde(registryOf(loadSchema('ride_started')), 'rides-value', loadSchema('ride_started'));
    expect(() => serde.encode({ ...ride, passengers: 'two' } as never)).toThrow(
      /FLEET_SERDE_ENCODE_FAILED|cannot encode/,
    );
  });

  // Regression (patches/avsc+5.7.9.patch): avsc looped over a block's declared item count
  // before checking the bytes were there; a record of a few bytes declaring 2^52 items spun
  // the event loop (a map) or exhausted the heap (an array), synchronously.
  it.each([
    ['an array', { type: 'array', items: 'string' }],
    ['a map', { type: 'map', values: 'long' }],
  ])('refuses %s block declaring more items than the record has bytes, at once', async (_, type) => {
    // Unpatched, the decode below never returns (no test timeout interrupts it): fail first.
    const avsc = readFileSync(createRequire(import.meta.url).resolve('avsc/lib/types.js'), 'utf8');
    expect(avsc, 'patches/avsc+5.7.9.patch applied (npm ci runs it)').toContain('Patched (ride fleet)');
    const schema = { type: 'record', name: 'Hostile', fields: [{ name: 'block', type }] };
    const serde = await createSerde(registryOf(schema), 'hostile-value', schema);
    // Zigzag varint of 2^52 items, then one short string: a record of a dozen bytes.
    const count: number[] = [];
    for (let z = 2 ** 53; z >= 128; z = Math.floor(z / 128)) count.push((z % 128) + 128);
    count.push(Math.floor(2 ** 53 / 128 ** count.length));
    const hostile = Buffer.from([0, 0, 0, 0, 7, ...count, 2, 0x41]);
    const error = await Promise.resolve()
      .then(() => serde.decode(hostile))
      .catch((err: unknown) => err);
    expect(isFleetError(error, 'FLEET_SERDE_DECODE_FAILED'), String(error)).toBe(true);
    const valid = { block: type.type === 'array' ? ['x', 'yy'] : { k: 1 } };
    expect(await serde.decode(serde.encode(valid as never))).toEqual(valid);
  });
});
