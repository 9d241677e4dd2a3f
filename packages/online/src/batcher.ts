import type { ModelOutputs } from '@fleet/core';

/** A call of the models over `rows` row-major feature rows: the outputs of each row. */
export type ModelCall<T = ModelOutputs> = (features: Float32Array, rows: number) => Promise<T>;

/**
 * One call over `rows` row-major feature rows, merged from `requests` requests; its
 * outputs, which `slice` cuts into each request's rows.
 */
export type BatchRun<T = ModelOutputs> = (features: Float32Array, rows: number, requests: number) => Promise<T>;

/** Options of {@link createMicroBatcher}. */
export interface MicroBatcherOptions<T> {
  /** Columns of a feature row. */
  width: number;
  /** Merge the requests that arrive together into shared calls; false calls once per request. */
  enabled: boolean;
  /** Most rows in one call (a larger single request still goes alone). */
  maxRows: number;
  /** Longest a request is held for others to join its call while the model is idle (0: never). */
  maxWaitMs: number;
  run: BatchRun<T>;
  /** The outputs of rows `from` to `to` (exclusive) of a call's outputs. */
  slice: (outputs: T, from: number, to: number) => T;
  /** Monotonic milliseconds, for the arrival-gap estimate. @default performance.now */
  now?: () => number;
}

/** Requests merged into calls (Triton's and BentoML's dynamic batching). */
export interface MicroBatcher<T = ModelOutputs> {
  /** Scores `rows` rows, in a call shared with whatever arrives together; the outputs of its rows. */
  submit(features: Float32Array, rows: number): Promise<T>;
  /** Resolves once nothing is queued or running (a drain). */
  idle(): Promise<void>;
}

/** One model's outputs of rows `from` to `to` (exclusive): views, not copies. */
export function sliceOutputs(outputs: ModelOutputs, from: number, to: number): ModelOutputs {
  return {
    value: outputs.value.subarray(from, to),
    lower: outputs.lower && outputs.lower.subarray(from, to),
    upper: outputs.upper && outputs.upper.subarray(from, to),
  };
}

interface Waiting<T> {
  features: Float32Array;
  rows: number;
  resolve: (outputs: T) => void;
  reject: (err: unknown) => void;
}

/** Weight of the newest gap in the moving average of gaps between requests. */
const GAP_WEIGHT = 0.2;

/**
 * A micro-batcher with one call at a time. While a call runs, requests queue; when it ends,
 * the next call takes everything queued (up to `maxRows`), so batches grow with the load by
 * themselves. When the model is idle, a request is held up to `maxWaitMs` for others to
 * join it, but only while at least two more are due in that time (by a moving average of
 * the gaps between requests): below that rate a request is scored at once and pays no wait.
 */
export function createMicroBatcher<T>(options: MicroBatcherOptions<T>): MicroBatcher<T> {
  const { width, maxRows, maxWaitMs, run, slice } = options;
  const now = options.now ?? (() => performance.now());
  const queue: Array<Waiting<T>> = [];
  const idleWaiters: Array<() => void> = [];
  let queuedRows = 0;
  let active = 0;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let lastArrival = Number.NaN;
  let gapMs = Number.POSITIVE_INFINITY;

  const settle = (): void => {
    if (active === 0) for (const wake of idleWaiters.splice(0)) wake();
  };

  function take(): { batch: Array<Waiting<T>>; rows: number } {
    const batch = [queue.shift()!];
    let rows = batch[0].rows;
    while (queue.length > 0 && rows + queue[0].rows <= maxRows) {
      rows += queue[0].rows;
      batch.push(queue.shift()!);
    }
    queuedRows -= rows;
    return { batch, rows };
  }

  function concat(batch: Array<Waiting<T>>, rows: number): Float32Array {
    if (batch.length === 1) return batch[0].features;
    const all = new Float32Array(rows * width);
    let at = 0;
    for (const w of batch) {
      all.set(w.features, at);
      at += w.rows * width;
    }
    return all;
  }

  async function flush(): Promise<void> {
    clearTimeout(timer);
    clearImmediate(immediate);
    timer = immediate = undefined;
    if (running || queue.length === 0) return;
    running = true;
    const { batch, rows } = take();
    try {
      const outputs = await run(concat(batch, rows), rows, batch.length);
      if (batch.length === 1) batch[0].resolve(outputs);
      else {
        let at = 0;
        for (const w of batch) {
          const to = at + w.rows;
          w.resolve(slice(outputs, at, to));
          at = to;
        }
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      running = false;
    }
    // What queued during the call has waited a call's time already: it goes next, at once.
    if (queue.length > 0) void flush();
  }

  function schedule(): void {
    if (running) return;
    if (queuedRows >= maxRows || maxWaitMs === 0 || 2 * gapMs > maxWaitMs) {
      clearTimeout(timer);
      timer = undefined;
      immediate ??= setImmediate(() => void flush());
    } else {
      timer ??= setTimeout(() => void flush(), maxWaitMs);
    }
  }

  function noteArrival(): void {
    const t = now();
    const gap = t - lastArrival;
    lastArrival = t;
    if (Number.isFinite(gap)) gapMs = Number.isFinite(gapMs) ? gapMs + GAP_WEIGHT * (gap - gapMs) : gap;
  }

  return {
    async submit(features, rows) {
      active++;
      try {
        if (!options.enabled) return await run(features, rows, 1);
        noteArrival();
        return await new Promise<T>((resolve, reject) => {
          queue.push({ features, rows, resolve, reject });
          queuedRows += rows;
          schedule();
        });
      } finally {
        active--;
        settle();
      }
    },
    idle: () => (active === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
  };
}
