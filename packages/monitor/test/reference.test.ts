import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultModelDir,
  listModelVersions,
  loadRideCsv,
  MODEL_NAMES,
  REPO_ROOT,
  type RideStarted,
} from '@fleet/contract';
import { loadKnownVersions } from '../src/cards.js';
import { DRIFT_INPUTS, pickupHour } from '../src/inputs.js';
import {
  binCount,
  binOf,
  parseReference,
  psi,
  referenceShares,
  type FeatureReference,
  type ModelReference,
} from '../src/reference.js';

const numeric: FeatureReference = { kind: 'numeric', edges: [1, 2, 5], shares: [0.5, 0.2, 0.2, 0.1], missing_share: 0 };
const categorical: FeatureReference = {
  kind: 'categorical',
  categories: ['CASH', 'CREDIT_CARD'],
  shares: [0.3, 0.6],
  missing_share: 0.1,
};

function counts(ref: FeatureReference, values: Array<number | string | null>): number[] {
  const out = new Array<number>(binCount(ref)).fill(0);
  for (const v of values) out[binOf(ref, v)]++;
  return out;
}

async function testSplit(): Promise<RideStarted[]> {
  const { rows } = await loadRideCsv(join(REPO_ROOT, 'models', 'data', 'test_rides.csv'));
  return rows.flatMap((r) => (r.ok ? [r.ride] : []));
}

describe('reference bins', () => {
  it('bins numbers right-closed between the edges, as numpy.searchsorted(side=left)', () => {
    expect([0, 1, 1.5, 2, 4.9, 5, 5.01].map((x) => binOf(numeric, x))).toEqual([0, 0, 1, 1, 2, 2, 3]);
    expect(binOf(numeric, null)).toBe(4);
    expect(binCount(numeric)).toBe(5);
  });

  it('keeps categories as they are, with a bin for unseen values and one for missing ones', () => {
    expect(binOf(categorical, 'CASH')).toBe(0);
    expect(binOf(categorical, 'CREDIT_CARD')).toBe(1);
    expect(binOf(categorical, 'UNKNOWN')).toBe(2);
    expect(binOf(categorical, null)).toBe(3);
    expect(referenceShares(categorical)).toEqual([0.3, 0.6, 0, 0.1]);
  });

  it('computes the PSI: 0 for the reference itself, growing with the shift, finite for empty bins', () => {
    const same = psi(referenceShares(numeric), [50, 20, 20, 10, 0]);
    expect(same).toBeCloseTo(0, 9);
    const shifted = psi(referenceShares(numeric), [10, 20, 20, 50, 0]);
    // (0.1-0.5)ln(0.1/0.5) + (0.5-0.1)ln(0.5/0.1) = 0.8 ln 5
    expect(shifted).toBeCloseTo(0.8 * Math.log(5), 9);
    expect(Number.isFinite(psi(referenceShares(categorical), [0, 0, 10, 0]))).toBe(true);
    expect(psi(referenceShares(categorical), [0, 0, 0, 0])).toBeNaN();
  });

  it('refuses a malformed reference, naming the field', () => {
    const card = (features: unknown) => ({ reference: { rows: 10, features } });
    expect(parseReference({}, 'm.json')).toBeNull();
    expect(() => parseReference(card({ x: { ...numeric, edges: [2, 1, 5] } }), 'm.json')).toThrow(
      /reference\.x\.edges/,
    );
    expect(() => parseReference(card({ x: { ...numeric, shares: [1] } }), 'm.json')).toThrow(/reference\.x\.shares/);
    expect(() => parseReference(card({ x: { ...categorical, kind: 'other' } }), 'm.json')).toThrow(
      /reference\.x\.kind/,
    );
  });
});

describe('the model cards', () => {
  const known = loadKnownVersions(join(REPO_ROOT, 'models'));

  it('give every model version a reference of its predictions and of the main inputs', () => {
    const versions = MODEL_NAMES.flatMap((m) => listModelVersions(m).map((v) => `${m}@${v}`));
    expect(versions.length).toBeGreaterThanOrEqual(MODEL_NAMES.length);
    expect(known.map((k) => `${k.model}@${k.version}`).sort()).toEqual(versions.sort());
    for (const k of known) {
      expect(Object.keys(k.reference!.features).sort()).toEqual(['prediction', ...Object.keys(DRIFT_INPUTS)].sort());
      for (const ref of Object.values(k.reference!.features)) {
        expect(referenceShares(ref).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 4);
      }
    }
    const card = JSON.parse(readFileSync(join(defaultModelDir('duration'), 'model.json'), 'utf8'));
    expect(card.reference.rows).toBe(card.training_data.train_rows_after_cleaning);
  });

  it('read the inputs as the training pipeline does: the held-out rides do not drift from training', async () => {
    // A TypeScript reading that differed from Python's (the hour's time zone, a bin edge)
    // would show as drift here, on rides drawn from the same month as the training split.
    const rides = await testSplit();
    const ref: ModelReference = known[0].reference!;
    for (const [name, read] of Object.entries(DRIFT_INPUTS)) {
      const feature = ref.features[name];
      expect(psi(referenceShares(feature), counts(feature, rides.map(read))), name).toBeLessThan(0.05);
    }
  });

  it('flag distances stretched by half as a significant drift (the demo with --drift)', async () => {
    const rides = await testSplit();
    const feature = known[0].reference!.features.estimated_distance_miles;
    const stretched = rides.map((r) => r.estimated_distance_miles * 1.5);
    expect(psi(referenceShares(feature), counts(feature, stretched))).toBeGreaterThan(0.25);
  });

  it('reads the pickup hour on the New York wall clock, across the DST switch', () => {
    expect(pickupHour(Date.UTC(2019, 2, 10, 6, 59))).toBe(1); // 01:59 EST
    expect(pickupHour(Date.UTC(2019, 2, 10, 7, 0))).toBe(3); // 03:00 EDT
    expect(pickupHour(Date.UTC(2019, 2, 24, 0, 21))).toBe(20);
  });
});
