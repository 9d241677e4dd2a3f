/**
 * Inference and serde alone, in this process: onnxruntime-node rows per second and
 * microseconds per call for batch sizes 1, 10, 100, 1000 (features prepared beforehand,
 * as the service builds them once per batch), feature building per row, and Avro
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
import { createSerde } from '@fleet/core';
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
      rideDecodeValidateUs: await timeIt(async () => validateRide(await rideSerde.decode(encoded[next()])), msPerPoint),
      rideEncodeUs: await timeIt(() => rideSerde.encode(rides[next()]), msPerPoint),
      predictionEncodeUs: await timeIt(() => predSerde.encode(prediction), msPerPoint),
      featuresUsPerRow: (await timeIt(() => buildFeatures(runner.spec, rides), msPerPoint)) / rides.length,
      rideValueBytes: encoded.reduce((n, b) => n + b.length, 0) / encoded.length,
    };
  } finally {
    await runner.close();
  }
}
