import { describe, expect, it } from 'vitest';
import type { RideStarted } from '@fleet/contract';
import { coalescingScorer, type Scorer } from '../src/ride-model.js';

const ride = (ride_id: string, miles: number) => ({ ride_id, estimated_distance_miles: miles }) as RideStarted;

/** A model that returns each ride's distance × 10 and records how it was called. */
function countingScorer(fail = false): Scorer & { calls: number[] } {
  const calls: number[] = [];
  return {
    name: 'm',
    version: '1',
    unit: 'u',
    calls,
    async score(rides) {
      calls.push(rides.length);
      if (fail) throw new Error('model failed');
      const value = Float64Array.from(rides.map((r) => r.estimated_distance_miles * 10));
      return { value, lower: value.map((v) => v - 1), upper: null };
    },
  };
}

describe('coalescingScorer', () => {
  it('scores the calls of one turn in one model call and gives each caller its own values', async () => {
    const inner = countingScorer();
    const scorer = coalescingScorer(inner);
    const [a, b] = await Promise.all([scorer.score([ride('a1', 1), ride('a2', 2)]), scorer.score([ride('b1', 3)])]);
    expect(inner.calls).toEqual([3]);
    expect(Array.from(a.value)).toEqual([10, 20]);
    expect(Array.from(b.value)).toEqual([30]);
    expect(Array.from(a.lower ?? [])).toEqual([9, 19]);
    expect(Array.from(b.lower ?? [])).toEqual([29]);
    expect(b.upper).toBeNull();
  });

  it('starts a new model call for calls made after the previous one was sent', async () => {
    const inner = countingScorer();
    const scorer = coalescingScorer(inner);
    await scorer.score([ride('a', 1)]);
    await scorer.score([ride('b', 2)]);
    expect(inner.calls).toEqual([1, 1]);
  });

  it('fails every caller of a failed model call', async () => {
    const scorer = coalescingScorer(countingScorer(true));
    const results = await Promise.allSettled([scorer.score([ride('a', 1)]), scorer.score([ride('b', 2)])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
