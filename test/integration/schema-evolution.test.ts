import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isFleetError,
  loadSchema,
  valueSubject,
  type PredictionRecord,
  type RideDecisionRecord,
} from '@fleet/contract';
import { createSerde } from '@fleet/core';
import { randomName, testRegistry } from '../helpers.js';

// The schemas as model version 1.0.0 shipped them (before intervals and shadows): what a
// consumer built then still reads with.
const v1 = (name: string): object =>
  JSON.parse(readFileSync(new URL(`../fixtures/schemas-1.0.0/${name}.avsc`, import.meta.url), 'utf8')) as object;

const prediction: PredictionRecord = {
  ride_id: 'ride-1',
  model: 'duration',
  model_version: '2.0.0',
  value: 12.5,
  unit: 'minutes',
  event_time: 1_700_000_000_000,
  predicted_at: 1_700_000_000_020,
  lower: 9.75,
  upper: 17.25,
  shadow: true,
};

const decision: RideDecisionRecord = {
  ride_id: 'ride-1',
  duration_min: 12.5,
  cost_usd: 14.2,
  tip_usd: 3,
  complete: true,
  missing_models: [],
  fare_quote_usd: 14.5,
  eta_minutes: 13,
  priority: 'NORMAL',
  model_versions: { duration: '2.0.0', cost: '2.0.0', tip: '1.0.0' },
  event_time: 1_700_000_000_000,
  decided_at: 1_700_000_000_030,
  fare_low_usd: 12.5,
  fare_high_usd: 16,
  eta_low_minutes: 9,
  eta_high_minutes: 18,
};

/** The fields of `record` that the 1.0.0 schema `name` has. */
function oldFields(name: string, record: object): Record<string, unknown> {
  const fields = (v1(name) as { fields: Array<{ name: string }> }).fields.map((f) => f.name);
  return Object.fromEntries(Object.entries(record).filter(([k]) => fields.includes(k)));
}

describe.each([
  ['prediction', prediction, { lower: null, upper: null, shadow: false }],
  [
    'ride_decision',
    decision,
    { fare_low_usd: null, fare_high_usd: null, eta_low_minutes: null, eta_high_minutes: null },
  ],
] as const)('the %s schema evolves within FULL_TRANSITIVE on the real registry', (name, record, defaults) => {
  it('registers over the 1.0.0 schema; an old consumer reads new records, a new one old records', async () => {
    const subject = valueSubject(randomName(`evolve-${name}`));
    const old = await createSerde<Record<string, unknown>>(testRegistry(), subject, v1(name));
    const current = await createSerde<Record<string, unknown>>(testRegistry(), subject, loadSchema(name));
    expect(current.schemaId).not.toBe(old.schemaId);

    // A consumer still on 1.0.0 reads a record written with today's schema: the new fields are dropped.
    const fromNew = await old.decode(current.encode(record as unknown as Record<string, unknown>));
    expect(fromNew).toEqual(oldFields(name, record));
    // Today's consumer reads a record an old producer wrote: the new fields take their defaults.
    const fromOld = await current.decode(old.encode(oldFields(name, record)));
    expect(fromOld).toEqual({ ...oldFields(name, record), ...defaults });
  });

  it('is refused when a change would break old records (a new field without a default)', async () => {
    const subject = valueSubject(randomName(`evolve-${name}`));
    await createSerde(testRegistry(), subject, loadSchema(name));
    const schema = loadSchema(name) as { fields: object[] };
    const breaking = { ...schema, fields: [...schema.fields, { name: 'surge_factor', type: 'double' }] };
    let error: unknown;
    try {
      await createSerde(testRegistry(), subject, breaking);
    } catch (err) {
      error = err;
    }
    expect(isFleetError(error) && error.code).toBe('FLEET_REGISTRY_INCOMPATIBLE');
  });
});
