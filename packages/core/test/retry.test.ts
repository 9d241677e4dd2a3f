import { describe, expect, it } from 'vitest';
import { FleetError, isFleetError } from '@fleet/contract';
import { backoffDelay, retry, within } from '../src/index.js';

const fast = { initialDelayMs: 1, maxDelayMs: 2 };

describe('retry', () => {
  it('retries retriable errors until success', async () => {
    let calls = 0;
    const result = await retry(async () => {
      calls++;
      if (calls < 3) throw new FleetError('FLEET_REGISTRY_UNAVAILABLE', 'down');
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('never retries programming errors', async () => {
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new TypeError('bug');
      }, fast),
    ).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });

  it('does not retry non-retriable fleet errors', async () => {
    let calls = 0;
    const err = await retry(async () => {
      calls++;
      throw new FleetError('FLEET_SERDE_DECODE_FAILED', 'bad');
    }, fast).catch((e: unknown) => e);
    expect(isFleetError(err, 'FLEET_SERDE_DECODE_FAILED')).toBe(true);
    expect(calls).toBe(1);
  });

  it('wraps the last error as cause when attempts run out', async () => {
    const last = new FleetError('FLEET_REGISTRY_UNAVAILABLE', 'still down');
    const seen: number[] = [];
    const err = await retry(
      async () => {
        throw last;
      },
      { ...fast, retries: 2, onRetry: (_e, attempt) => seen.push(attempt) },
    ).catch((e: unknown) => e);
    expect(isFleetError(err, 'FLEET_RETRIES_EXHAUSTED')).toBe(true);
    expect((err as Error).cause).toBe(last);
    expect(seen).toEqual([1, 2]);
  });

  it('grows the delay exponentially within the cap, with jitter', () => {
    const opts = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2 };
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(0, opts, () => 0)).toBe(50);
    expect(backoffDelay(3, opts, () => 1)).toBe(800);
    expect(backoffDelay(10, opts, () => 1)).toBe(1000);
  });
});

describe('within', () => {
  it("answers the work's result when it comes in time", async () => {
    await expect(within('a quick step', 1000, Promise.resolve(7))).resolves.toBe(7);
  });

  it("passes the work's own failure on", async () => {
    await expect(within('a failing step', 1000, Promise.reject(new Error('broken')))).rejects.toThrow('broken');
  });

  it('fails naming the step once the time passed', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(within('the group join', 20, never)).rejects.toThrow('timed out after 20 ms: the group join');
  });
});
