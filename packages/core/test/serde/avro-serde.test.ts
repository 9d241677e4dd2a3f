import avro from 'avsc';
import { loadSchema } from '@fleet/contract';
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
    expect(await serde.decode(serde.encode(ride))).toEqual(ride);
    expect(registry.typeLookups).toEqual([]);
  });

  it('looks a foreign writer schema up once, then decodes from cache', async () => {
    const registry = registryOf(loadSchema('ride_started'));
    const serde = await createSerde(registry, 'rides-value', loadSchema('ride_started'));
    const foreign = serde.encode(ride);
    foreign.writeInt32BE(8, 1);
    expect(await serde.decode(foreign)).toEqual(ride);
    expect(await serde.decode(foreign)).toEqual(ride);
    expect(registry.typeLookups).toEqual([8]);
  });
});
