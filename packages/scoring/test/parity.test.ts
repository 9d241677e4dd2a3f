import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFeatures,
  defaultModelsDir,
  listModelVersions,
  loadFeatureSpec,
  MODEL_NAMES,
  modelVersionDir,
  rideCsvParser,
  type FeatureSpec,
  type RideOutcome,
  type RideStarted,
} from '@fleet/contract';
import { loadRideModel as loadModel, type RideModel as ModelRunner } from '../src/ride-model.js';

// Written by models/train/train.py: rides of the test split (odd ones included) and
// synthetic edge cases, with the float32 features and the Python onnxruntime predictions.
interface GoldenEntry {
  source: 'test' | 'synthetic';
  row_number?: number;
  csv?: Record<string, string>;
  outcome?: RideOutcome;
  ride: RideStarted;
  features: number[];
  predictions: Record<string, number>;
  /** The interval bounds [lower, upper] of each model version that has one. */
  intervals?: Record<string, [number, number]>;
}
interface Golden {
  meta: { models: Record<string, string> };
  time_of_day_table: [number, number][];
  entries: GoldenEntry[];
}

const goldenDir = join(defaultModelsDir(), 'golden');
const goldenFiles = readdirSync(goldenDir).filter((f) => /^parity-.+\.json$/.test(f));

/** The version folder of a model whose card has `sha256` (the one the golden file was written with). */
function versionWithSha(name: (typeof MODEL_NAMES)[number], sha256: string): string {
  for (const version of listModelVersions(name)) {
    const card = JSON.parse(readFileSync(join(modelVersionDir(name, version), 'model.json'), 'utf8')) as {
      sha256: string;
    };
    if (card.sha256 === sha256) return modelVersionDir(name, version);
  }
  throw new Error(`no version of ${name} under models/${name}/ has sha256 ${sha256}`);
}

it('has a golden file for every training run (models/golden/parity-<version>.json)', () => {
  expect(goldenFiles).toContain('parity-1.0.0.json');
});

describe.each(goldenFiles)('training/serving parity (models/golden/%s)', (file) => {
  const golden = JSON.parse(readFileSync(join(goldenDir, file), 'utf8')) as Golden;
  const rides = golden.entries.map((e) => e.ride);
  let spec: FeatureSpec;
  const runners: ModelRunner[] = [];

  beforeAll(async () => {
    spec = await loadFeatureSpec(join(defaultModelsDir(), 'features.json'));
    for (const name of MODEL_NAMES) {
      const sha = golden.meta.models[name];
      if (sha !== undefined) runners.push(await loadModel(versionWithSha(name, sha)));
    }
  });
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.close()));
  });

  it('covers at least 300 rides, odd ones included', () => {
    expect(golden.entries.length).toBeGreaterThanOrEqual(300);
    expect(rides.some((r) => r.estimated_distance_miles === 0)).toBe(true);
    expect(rides.some((r) => r.pickup_zone === null || r.dropoff_zone === null)).toBe(true);
    expect(rides.some((r) => r.payment_method === 'CASH')).toBe(true);
    expect(rides.some((r) => r.payment_method === 'UNKNOWN')).toBe(true);
    expect(rides.some((r) => r.service_color === 'GREEN')).toBe(true);
    expect(rides.some((r) => r.passengers === 0)).toBe(true);
    expect(golden.entries.filter((e) => e.source === 'synthetic').length).toBeGreaterThan(5);
  });

  it('builds exactly the float32 features that Python built, for every ride', () => {
    const width = spec.names.length;
    const features = buildFeatures(spec, rides);
    const mismatches: string[] = [];
    golden.entries.forEach((entry, row) => {
      expect(entry.features).toHaveLength(width);
      entry.features.forEach((want, col) => {
        const got = features[row * width + col];
        if (got !== want) mismatches.push(`${entry.ride.ride_id} ${spec.names[col]}: ts ${got} py ${want}`);
      });
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it('computes the time-of-day sin/cos of every minute of the day as Python does', () => {
    golden.time_of_day_table.forEach(([sin, cos], minute) => {
      const angle = (2 * Math.PI * minute) / 1440;
      expect([Math.fround(Math.sin(angle)), Math.fround(Math.cos(angle))]).toEqual([sin, cos]);
    });
  });

  it('predicts within 1e-4 of Python onnxruntime with every model of the run', async () => {
    expect(runners.length).toBe(Object.keys(golden.meta.models).length);
    for (const runner of runners) {
      expect(runner.card.sha256).toBe(golden.meta.models[runner.name]);
      const predictions = await runner.predict(rides);
      const worst = golden.entries.reduce(
        (max, entry, row) => Math.max(max, Math.abs(predictions[row] - entry.predictions[runner.name])),
        0,
      );
      expect(worst, runner.name).toBeLessThanOrEqual(1e-4);
    }
  });

  it('gives the interval bounds of Python onnxruntime within 1e-4, lower ≤ estimate ≤ upper', async () => {
    for (const runner of runners.filter((r) => r.card.onnx.interval !== undefined)) {
      const { value, lower, upper } = await runner.predictRides(rides);
      expect(lower, runner.name).not.toBeNull();
      let worst = 0;
      golden.entries.forEach((entry, row) => {
        const [lo, hi] = entry.intervals?.[runner.name] ?? [Number.NaN, Number.NaN];
        worst = Math.max(worst, Math.abs(lower![row] - lo), Math.abs(upper![row] - hi));
        expect(lower![row]).toBeLessThanOrEqual(value[row]);
        expect(upper![row]).toBeGreaterThanOrEqual(value[row]);
      });
      expect(worst, runner.name).toBeLessThanOrEqual(1e-4);
    }
  });

  it('reads the CSV rows into the same rides and outcomes as Python', () => {
    const fromCsv = golden.entries.filter((e) => e.csv !== undefined);
    expect(fromCsv.length).toBeGreaterThan(300);
    const parse = rideCsvParser(Object.keys(fromCsv[0].csv ?? {}));
    for (const entry of fromCsv) {
      const parsed = parse(Object.values(entry.csv ?? {}), entry.row_number ?? 0);
      expect(parsed.ok ? parsed.ride : parsed.reason).toEqual(entry.ride);
      if (!parsed.ok || parsed.outcome === null || entry.outcome === undefined) {
        throw new Error(`no outcome for ${entry.ride.ride_id}`);
      }
      expect(parsed.outcome.duration_min).toBeCloseTo(entry.outcome.duration_min, 9);
      expect(parsed.outcome.cost_usd).toBeCloseTo(entry.outcome.cost_usd, 9);
      expect(parsed.outcome.tip_usd).toBe(entry.outcome.tip_usd);
    }
  });
});
