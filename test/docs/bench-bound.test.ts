import { describe, expect, it } from 'vitest';
import { ratioToBound, type BenchResults } from '../../bench/lib/report.js';
import type { ServiceRate } from '../../bench/sections/model-services.js';

const service = (ratePerSec: number, env: Record<string, string> = {}): ServiceRate => ({
  model: 'duration',
  ratePerSec,
  seconds: 1,
  records: ratePerSec,
  cpuSecPer1000: 0,
  brokerCpuSecPer1000: 0,
  peakRssMb: 0,
  env,
});

// A pipe of 100,000 records/s is 10 µs per record; with a model of 2.5 µs per ride the
// issue's bound is 1 / 12.5 µs = 80,000 rides/s.
const results = {
  ceilings: { kafkajsPipe: { ratePerSec: 100_000 } },
  inference: { points: [], models: [{ model: 'duration', usPerRide: 2.5 }] },
} as unknown as BenchResults;

describe("a model service's ratio to the bound 1 / (pipe µs per record + model µs per ride)", () => {
  it('is the service rate over the bound, from the same results', () => {
    expect(ratioToBound(results, service(64_000))).toBeCloseTo(0.8, 10);
    expect(ratioToBound(results, service(40_000))).toBeCloseTo(0.5, 10);
  });

  it('takes the pipe measured around the service when there is one', () => {
    // A pipe of 80,000 records/s is 12.5 µs per record: the bound is 1 / 15 µs.
    expect(ratioToBound(results, { ...service(60_000), pipePerSec: 80_000 })).toBeCloseTo(0.9, 10);
  });

  it('is not a number when the pipe or the model was not measured', () => {
    expect(ratioToBound({ ...results, ceilings: undefined }, service(64_000))).toBeNaN();
    expect(ratioToBound({ ...results, inference: undefined }, service(64_000))).toBeNaN();
  });

  it('is not a number for a service run on more intra-op threads than the model was measured on', () => {
    expect(ratioToBound(results, service(64_000, { ONNX_INTRA_OP_THREADS: '2' }))).toBeNaN();
    expect(ratioToBound(results, service(64_000, { ONNX_INTRA_OP_THREADS: '1' }))).toBeCloseTo(0.8, 10);
  });
});
