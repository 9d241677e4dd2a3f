/**
 * Inference and serde alone, in this process: onnxruntime-node rows per second and
 * microseconds per call for batch sizes 1, 10, 100, 1000 (features prepared beforehand,
 * as the service builds them once per batch), each served model's microseconds per ride
 * beside its card's deterministic cost proxy, feature building per row, and Avro
 * decode/encode per record through the fleet's serde (warm schema cache).
 */
import {
  buildFeatures,
  defaultModelDir,
  loadSchema,
  MODEL_NAMES,
  validateRide,
  valueSubject,
  type ModelName,
  type RideStarted,
} from '@fleet/contract';
import { andThen, createSerde, type InferenceCost } from '@fleet/core';
import { loadRideModel } from '@fleet/scoring';
import type { BenchContext } from '../lib/context.js';
import { makeRides } from '../lib/kafka-io.js';

/** One model at one batch size. */
export interface InferencePoint {
  model: ModelName;
  batch: number;
  threads: number;
  rowsPerSec: number;
  usPerCall: number;
  usPerRow: number;
}

/**
 * One served model's cost per ride: onnxruntime-node microseconds per ride, and what its
 * card says (models/train/inference_cost.py) about the served ensemble and the reference
 * it replaced: the tree walk's decision nodes per ride, a deterministic proxy.
 */
export interface ModelCost {
  model: ModelName;
  batch: number;
  threads: number;
  /** Repetitions, the models taking turns, so that load from elsewhere falls on all of them alike. */
  reps: number;
  /** Median, fastest and slowest repetition, µs per ride. */
  usPerRide: number;
  usPerRideMin: number;
  usPerRideMax: number;
  /** The card's test MAE of the served model.onnx. */
  testMae: number;
  /** From the card's `inference_cost`, when it has one. */
  served?: string;
  reference?: string;
  trees?: number;
  nodes?: number;
  decisionsPerRide?: number;
  referenceDecisionsPerRide?: number;
  referenceTestMae?: number;
}

/** Serde and feature costs per record. */
export interface SerdeCosts {
  rideDecodeUs: number;
  rideDecodeValidateUs: number;
  rideEncodeUs: number;
  predictionEncodeUs: number;
  featuresUsPerRow: number;
  rideValueBytes: number;
}

/** Calls `fn` for about `ms` (after a warm-up) and returns microseconds per call. */
async function timeIt(fn: () => unknown, ms: number): Promise<number> {
  const warm = performance.now();
  const call = async (): Promise<void> => {
    const r = fn();
    if (r instanceof Promise) await r;
  };
  while (performance.now() - warm < Math.min(200, ms / 4)) await call();
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 10; i++) await call();
    calls += 10;
    t = performance.now();
  }
  return ((t - t0) * 1000) / calls;
}

/** ONNX inference per model and batch size, with `threads` intra-op threads. */
export async function measureInference(
  ctx: BenchContext,
  batches: number[],
  threads: number[],
  msPerPoint: number,
): Promise<InferencePoint[]> {
  const out: InferencePoint[] = [];
  // A pool of different real rides, walked through call after call: repeating the same few
  // rows would let the CPU's branch predictors learn the trees' paths and flatter small batches.
  const pool = 8000;
  const rides = makeRides(ctx.templates, pool + Math.max(...batches), 'inference');
  for (const model of MODEL_NAMES) {
    for (const t of threads) {
      const runner = await loadRideModel(defaultModelDir(model), { intraOpNumThreads: t });
      try {
        const width = runner.card.features.length;
        const features = buildFeatures(runner.spec, rides);
        for (const batch of batches) {
          let at = 0;
          const us = await timeIt(() => {
            at = (at + batch) % pool;
            return runner.predictFeatures(features.subarray(at * width, (at + batch) * width), batch);
          }, msPerPoint);
          out.push({ model, batch, threads: t, usPerCall: us, usPerRow: us / batch, rowsPerSec: (batch * 1e6) / us });
        }
      } finally {
        await runner.close();
      }
    }
  }
  return out;
}

/** What the card says about the served ensemble's cost (nothing for a linear model). */
function cardCost(cost: InferenceCost | { note: string } | undefined): Partial<ModelCost> {
  if (!cost || !('served' in cost)) return {};
  const served = cost.candidates[cost.served];
  const reference = cost.candidates[cost.reference];
  return {
    served: cost.served,
    reference: cost.reference,
    trees: served.tree_walk.trees,
    nodes: served.tree_walk.nodes,
    decisionsPerRide: served.tree_walk.decisions_per_ride,
    referenceDecisionsPerRide: reference.tree_walk.decisions_per_ride,
    referenceTestMae: reference.test.mae,
  };
}

/**
 * Microseconds per ride of each served model, 1 intra-op thread, `batch` rides per call,
 * walking through different real rides: `reps` repetitions of `msPerRep` each, the models
 * taking turns in every repetition. The card's proxy is reported beside it.
 */
export async function measureModelCost(
  ctx: BenchContext,
  batch: number,
  reps: number,
  msPerRep: number,
): Promise<ModelCost[]> {
  const pool = 8000;
  const rides = makeRides(ctx.templates, pool + batch, 'model-cost');
  const runners = await Promise.all(
    MODEL_NAMES.map((model) => loadRideModel(defaultModelDir(model), { intraOpNumThreads: 1 })),
  );
  try {
    const calls = runners.map((runner) => {
      const width = runner.card.features.length;
      const features = buildFeatures(runner.spec, rides);
      let at = 0;
      return () => {
        at = (at + batch) % pool;
        return runner.predictFeatures(features.subarray(at * width, (at + batch) * width), batch);
      };
    });
    const us: number[][] = runners.map(() => []);
    for (let rep = 0; rep < reps; rep++) {
      for (let m = 0; m < runners.length; m++) us[m].push((await timeIt(calls[m], msPerRep)) / batch);
    }
    return runners.map((runner, m) => {
      const sorted = [...us[m]].sort((a, b) => a - b);
      return {
        model: MODEL_NAMES[m],
        batch,
        threads: 1,
        reps,
        usPerRide: sorted[Math.floor(sorted.length / 2)],
        usPerRideMin: sorted[0],
        usPerRideMax: sorted[sorted.length - 1],
        testMae: runner.card.metrics.test.mae,
        ...cardCost(runner.card.inference_cost),
      };
    });
  } finally {
    await Promise.all(runners.map((r) => r.close()));
  }
}

/** Avro decode/encode microseconds per record and feature building per row. */
export async function measureSerde(ctx: BenchContext, msPerPoint: number): Promise<SerdeCosts> {
  const rideTopic = ctx.topic('serde-rides');
  const rideSerde = await createSerde<RideStarted>(ctx.registry, valueSubject(rideTopic), loadSchema('ride_started'));
  const predSerde = await createSerde(ctx.registry, valueSubject(ctx.topic('serde-pred')), loadSchema('prediction'));
  const rides = makeRides(ctx.templates, 1000, 'serde');
  const encoded = rides.map((r) => rideSerde.encode(r));
  const prediction = {
    ride_id: rides[0].ride_id,
    model: 'duration',
    model_version: '1.0.0',
    value: 12.5,
    unit: 'minutes',
    event_time: Date.now(),
    predicted_at: Date.now(),
  };
  let i = 0;
  const next = (): number => (i = (i + 1) % rides.length);
  const runner = await loadRideModel(defaultModelDir('duration'));
  try {
    return {
      rideDecodeUs: await timeIt(() => rideSerde.decode(encoded[next()]), msPerPoint),
      rideDecodeValidateUs: await timeIt(
        () => andThen(rideSerde.decode(encoded[next()]), (ride) => validateRide(ride)),
        msPerPoint,
      ),
      rideEncodeUs: await timeIt(() => rideSerde.encode(rides[next()]), msPerPoint),
      predictionEncodeUs: await timeIt(() => predSerde.encode(prediction), msPerPoint),
      featuresUsPerRow: (await timeIt(() => buildFeatures(runner.spec, rides), msPerPoint)) / rides.length,
      rideValueBytes: encoded.reduce((n, b) => n + b.length, 0) / encoded.length,
    };
  } finally {
    await runner.close();
  }
}
