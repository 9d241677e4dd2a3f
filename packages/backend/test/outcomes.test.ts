import { describe, expect, it, vi } from 'vitest';
import type { RideCompleted, RideOutcome, RideStarted } from '@fleet/contract';
import { completionOf, scheduleOutcomes, type OutcomePublisher } from '../src/outcomes.js';

const PICKUP = Date.UTC(2019, 2, 4, 12, 0, 0);

const ride = (id: string): RideStarted => ({
  ride_id: id,
  event_time: Date.now(),
  pickup_time: PICKUP,
  pickup_zone: null,
  dropoff_zone: null,
  pickup_borough: null,
  dropoff_borough: null,
  estimated_distance_miles: 2,
  passengers: 1,
  service_color: 'YELLOW',
  payment_method: 'CASH',
});

const outcome = (minutes: number): RideOutcome => ({ duration_min: minutes, cost_usd: 10.5, tip_usd: 2.25 });

describe('ride outcomes', () => {
  it('makes the ride_completed record of a ride from what really happened on it', () => {
    const now = Date.now();
    expect(completionOf(ride('a'), outcome(12), now)).toEqual({
      ride_id: 'a',
      event_time: now,
      dropoff_time: PICKUP + 12 * 60_000,
      duration_min: 12,
      cost_usd: 10.5,
      tip_usd: 2.25,
      total_usd: 12.75,
    });
    const recorded = { ...outcome(12), dropoff_time: PICKUP + 1, total_usd: 13 };
    expect(completionOf(ride('a'), recorded, now)).toMatchObject({ dropoff_time: PICKUP + 1, total_usd: 13 });
  });

  it('publishes each outcome once its ride ended on the compressed clock, the shortest rides first', async () => {
    const published: RideCompleted[] = [];
    const publisher: OutcomePublisher = {
      publish: async (outcomes) => void published.push(...outcomes),
      close: async () => undefined,
    };
    // Fake timers: the three rides start at the same instant. On the real clock a busy
    // machine let a millisecond pass between two of them (CI, once): the one-minute ride
    // (ending 1 ms after its start) and the broken record (ending at once) were then due in
    // the same millisecond, and left in either order.
    vi.useFakeTimers();
    try {
      // 60,000 times faster: a 10-minute ride ends 10 ms after it started.
      const schedule = scheduleOutcomes(publisher, { timeFactor: 60_000 });
      schedule.started(ride('ten-minutes'), outcome(10));
      schedule.started(ride('one-minute'), outcome(1));
      schedule.started(ride('broken-record'), outcome(-3));
      expect(schedule.waiting).toBe(3);
      const drained = schedule.drain();
      await vi.advanceTimersByTimeAsync(1_000);
      await drained;
      schedule.stop();
      expect(schedule.published).toBe(3);
      expect(schedule.waiting).toBe(0);
    } finally {
      vi.useRealTimers();
    }
    expect(published.map((o) => o.ride_id)).toEqual(['broken-record', 'one-minute', 'ten-minutes']);
    // What happened stays what it was: the clock only decides when it is told.
    expect(published[2].duration_min).toBe(10);
  });
});
