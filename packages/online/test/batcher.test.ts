import { describe, expect, it } from 'vitest';
import { createMicroBatcher, sliceOutputs, type BatchRun } from '../src/batcher.js';

const WIDTH = 2;

/** A model call that doubles each row's first column (interval ± 1), held until released. */
function heldRun() {
  const calls: number[] = [];
  const pending: Array<() => void> = [];
  let fail: Error | undefined;
  const run: BatchRun = async (features, rows) => {
    calls.push(rows);
    await new Promise<void>((resolve) => pending.push(resolve));
    if (fail) throw fail;
    const value = Float64Array.from({ length: rows }, (_, r) => features[r * WIDTH] * 2);
    return { value, lower: value.map((v) => v - 1), upper: value.map((v) => v + 1) };
  };
  return {
    calls,
    run,
    /** Lets the oldest held call finish. */
    releaseOne: () => pending.shift()?.(),
    failNext: (err: Error) => (fail = err),
    held: () => pending.length,
  };
}

/** `rows` rows whose first column counts up from `from`. */
const rowsFrom = (from: number, rows: number) =>
  Float32Array.from({ length: rows * WIDTH }, (_, i) => (i % WIDTH === 0 ? from + i / WIDTH : 0));

const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A batcher with `maxWaitMs`, room for 100 rows, on a clock the test moves (`advance`),
 * over a model that answers at once; `calls` lists the rows of each model call.
 */
function clockedBatcher(maxWaitMs: number) {
  let now = 0;
  const calls: number[] = [];
  const run: BatchRun = async (_, rows) => (
    calls.push(rows),
    { value: new Float64Array(rows), lower: null, upper: null }
  );
  const batcher = createMicroBatcher({
    width: WIDTH,
    enabled: true,
    maxRows: 100,
    maxWaitMs,
    run,
    slice: sliceOutputs,
    now: () => now,
  });
  return { batcher, calls, advance: (ms: number) => (now += ms) };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await settle();
}

describe('micro-batcher', () => {
  it('puts the requests that queue behind a running call into the next call, up to maxRows, answers in order', async () => {
    const model = heldRun();
    const batcher = createMicroBatcher({
      width: WIDTH,
      enabled: true,
      maxRows: 5,
      maxWaitMs: 0,
      run: model.run,
      slice: sliceOutputs,
    });
    const first = batcher.submit(rowsFrom(0, 1), 1);
    await until(() => model.held() === 1);
    const queued = [
      batcher.submit(rowsFrom(10, 2), 2),
      batcher.submit(rowsFrom(20, 3), 3),
      batcher.submit(rowsFrom(30, 1), 1),
    ];
    model.releaseOne();
    await until(() => model.held() === 1);
    // 2 + 3 rows fit in 5; the third request waits for the call after.
    expect(model.calls).toEqual([1, 5]);
    model.releaseOne();
    await until(() => model.held() === 1);
    model.releaseOne();
    expect(Array.from((await first).value)).toEqual([0]);
    const answers = await Promise.all(queued);
    expect(answers.map((o) => Array.from(o.value))).toEqual([[20, 22], [40, 42, 44], [60]]);
    // Each request gets its own rows of every output, interval bounds included.
    expect(answers.map((o) => Array.from(o.lower ?? []))).toEqual([[19, 21], [39, 41, 43], [59]]);
    expect(answers.map((o) => Array.from(o.upper ?? []))).toEqual([[21, 23], [41, 43, 45], [61]]);
    expect(model.calls).toEqual([1, 5, 1]);
  });

  it('passes each call how many requests it merged, and cuts any outputs with slice (one request: as they are)', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const calls: Array<[rows: number, requests: number]> = [];
    // Outputs of another shape than a model's: two lists per call (a quote's three models, say).
    const run: BatchRun<{ a: number[]; b: number[] }> = async (features, rows, requests) => {
      calls.push([rows, requests]);
      if (calls.length === 1) await held;
      const a = Array.from({ length: rows }, (_, r) => features[r * WIDTH]);
      return { a, b: a.map((v) => -v) };
    };
    const slice = (o: { a: number[]; b: number[] }, from: number, to: number) => ({
      a: o.a.slice(from, to),
      b: o.b.slice(from, to),
    });
    const batcher = createMicroBatcher({ width: WIDTH, enabled: true, maxRows: 10, maxWaitMs: 0, run, slice });
    const first = batcher.submit(rowsFrom(0, 1), 1);
    await until(() => calls.length === 1);
    const queued = [batcher.submit(rowsFrom(10, 2), 2), batcher.submit(rowsFrom(20, 1), 1)];
    release();
    expect(await first).toEqual({ a: [0], b: [-0] });
    expect(await Promise.all(queued)).toEqual([
      { a: [10, 11], b: [-10, -11] },
      { a: [20], b: [-20] },
    ]);
    expect(calls).toEqual([
      [1, 1],
      [3, 2],
    ]);
  });

  it('sends a request larger than maxRows alone', async () => {
    const model = heldRun();
    const batcher = createMicroBatcher({
      width: WIDTH,
      enabled: true,
      maxRows: 2,
      maxWaitMs: 0,
      run: model.run,
      slice: sliceOutputs,
    });
    const big = batcher.submit(rowsFrom(0, 4), 4);
    await until(() => model.held() === 1);
    model.releaseOne();
    expect(Array.from((await big).value)).toEqual([0, 2, 4, 6]);
    expect(model.calls).toEqual([4]);
  });

  it('calls once per request when off', async () => {
    const model = heldRun();
    const batcher = createMicroBatcher({
      width: WIDTH,
      enabled: false,
      maxRows: 100,
      maxWaitMs: 5,
      run: model.run,
      slice: sliceOutputs,
    });
    const answers = [1, 2, 3].map((n) => batcher.submit(rowsFrom(n, 1), 1));
    await until(() => model.held() === 3);
    for (let i = 0; i < 3; i++) model.releaseOne();
    expect((await Promise.all(answers)).map((o) => Array.from(o.value))).toEqual([[2], [4], [6]]);
    expect(model.calls).toEqual([1, 1, 1]);
  });

  it('fails every request of a failed call, and the next call still runs', async () => {
    const model = heldRun();
    const batcher = createMicroBatcher({
      width: WIDTH,
      enabled: true,
      maxRows: 10,
      maxWaitMs: 0,
      run: model.run,
      slice: sliceOutputs,
    });
    model.failNext(new Error('onnxruntime failed'));
    const failed = [batcher.submit(rowsFrom(0, 1), 1), batcher.submit(rowsFrom(1, 1), 1)];
    await until(() => model.held() === 1);
    model.releaseOne();
    for (const answer of await Promise.allSettled(failed)) expect(answer.status).toBe('rejected');
    model.failNext(undefined as unknown as Error);
    const next = batcher.submit(rowsFrom(5, 1), 1);
    await until(() => model.held() === 1);
    model.releaseOne();
    expect(Array.from((await next).value)).toEqual([10]);
  });

  it('does not hold a request while requests come further apart than maxWaitMs', async () => {
    // Were a request held for company, each of these would wait a minute (the test's timeout).
    const { batcher, calls, advance } = clockedBatcher(60_000);
    for (let i = 0; i < 3; i++) {
      advance(120_000);
      await batcher.submit(rowsFrom(i, 1), 1);
    }
    expect(calls).toEqual([1, 1, 1]);
  });

  it('does not hold a request when fewer than two more are due within maxWaitMs', async () => {
    const { batcher, calls, advance } = clockedBatcher(1000);
    const one = () => batcher.submit(rowsFrom(0, 1), 1);
    await one();
    advance(600); // one more due within maxWaitMs, not two
    const alone = one();
    await settle();
    await settle();
    advance(600);
    await Promise.all([alone, one()]);
    expect(calls).toEqual([1, 1, 1]);
  });

  it('holds a request for others while requests come at least twice as often as maxWaitMs', async () => {
    const { batcher, calls, advance } = clockedBatcher(1000);
    const one = () => batcher.submit(rowsFrom(0, 1), 1);
    await one(); // the first request: no gap known yet, called at once
    advance(1);
    const held = one(); // 1 ms after: held, though the model is idle
    await settle();
    await settle();
    advance(1);
    await Promise.all([held, one(), one()]);
    expect(calls).toEqual([1, 3]);
  });
});
