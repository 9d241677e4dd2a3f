import { describe, expect, it } from 'vitest';
import { SlidingCounters } from '../src/windows.js';

describe('SlidingCounters', () => {
  const SEC = 1000;

  it('sums what happened within each window, by the time of each count', () => {
    const c = new SlidingCounters(2, SEC, 60 * SEC);
    const now = 1_000_000 * SEC;
    c.add(now - 5 * SEC, now, 0);
    c.add(now - 30 * SEC, now, 0, 2);
    c.add(now - 30 * SEC, now, 1, 7);
    expect([...c.sum(10 * SEC, now)]).toEqual([1, 0]);
    expect([...c.sum(60 * SEC, now)]).toEqual([3, 7]);
  });

  it('slides: counts leave the window as the clock moves on, and their bucket is reused', () => {
    const c = new SlidingCounters(1, SEC, 10 * SEC);
    const t0 = 5_000 * SEC;
    c.add(t0, t0, 0, 4);
    expect(c.sum(10 * SEC, t0 + 9 * SEC)[0]).toBe(4);
    expect(c.sum(10 * SEC, t0 + 10 * SEC)[0]).toBe(0);
    // The ring wraps around onto the old bucket: the old count is gone, the new one is there.
    c.add(t0 + 11 * SEC, t0 + 11 * SEC, 0, 1);
    expect(c.sum(10 * SEC, t0 + 11 * SEC)[0]).toBe(1);
  });

  it('drops a count older than the longest window, and counts one from the future now', () => {
    const c = new SlidingCounters(1, SEC, 10 * SEC);
    const now = 9_000 * SEC;
    expect(c.add(now - 11 * SEC, now, 0)).toBe(false);
    expect(c.add(now + 60 * SEC, now, 0)).toBe(true);
    expect(c.sum(1 * SEC, now)[0]).toBe(1);
  });
});
