import { describe, expect, it } from 'vitest';
import { decide, quotedRanges } from '../src/rules.js';

describe('decision rules', () => {
  it('quotes the cost rounded up to the next 0.50 and never below the 2.50 flag drop', () => {
    expect(decide({ duration_min: 10, cost_usd: 12.01, tip_usd: 2 }).fare_quote_usd).toBe(12.5);
    expect(decide({ duration_min: 10, cost_usd: 12.5, tip_usd: 2 }).fare_quote_usd).toBe(12.5);
    expect(decide({ duration_min: 10, cost_usd: 1.2, tip_usd: 0 }).fare_quote_usd).toBe(2.5);
  });

  it('rounds the ETA up to whole minutes, at least 1', () => {
    expect(decide({ duration_min: 6.01, cost_usd: 10, tip_usd: 1 }).eta_minutes).toBe(7);
    expect(decide({ duration_min: 0.2, cost_usd: 10, tip_usd: 1 }).eta_minutes).toBe(1);
  });

  it.each([
    [10, 30, 0, 'HIGH'], // 3.00 USD/min
    [10, 20, 5, 'HIGH'], // 2.50 USD/min, on the threshold
    [10, 20, 0, 'NORMAL'], // 2.00 USD/min
    [40, 40, 0, 'LOW'], // 1.00 USD/min
    [0.5, 2, 1, 'HIGH'], // short rides count as one minute: 3.00 USD/min
  ] as const)('duration %d min, cost %d, tip %d → %s', (duration, cost, tip, priority) => {
    expect(decide({ duration_min: duration, cost_usd: cost, tip_usd: tip }).priority).toBe(priority);
  });

  it('degrades gracefully when estimates are missing', () => {
    expect(decide({ duration_min: null, cost_usd: 10, tip_usd: 1 })).toEqual({
      fare_quote_usd: 10,
      eta_minutes: null,
      priority: 'NORMAL',
    });
    expect(decide({ duration_min: 10, cost_usd: null, tip_usd: null })).toEqual({
      fare_quote_usd: null,
      eta_minutes: 10,
      priority: 'NORMAL',
    });
    // A missing tip counts as 0.
    expect(decide({ duration_min: 10, cost_usd: 30, tip_usd: null }).priority).toBe('HIGH');
  });

  it('puts the LOW threshold at 1.20 USD/min: at it NORMAL, just below it LOW', () => {
    expect(decide({ duration_min: 10, cost_usd: 12, tip_usd: 0 }).priority).toBe('NORMAL');
    expect(decide({ duration_min: 10, cost_usd: 11.99, tip_usd: 0 }).priority).toBe('LOW');
  });

  it('never lets a negative tip estimate lower the priority', () => {
    // The tip model can return slightly negative values; they count as no tip.
    expect(decide({ duration_min: 10, cost_usd: 25, tip_usd: -0.4 }).priority).toBe('HIGH');
  });

  it('rounds ranges outwards so the quote lies within them, with the same floors', () => {
    const ranges = quotedRanges({ duration: { lower: 0.2, upper: 6.01 }, cost: { lower: 1.1, upper: 12.01 } });
    expect(ranges).toEqual({ fare_low_usd: 2.5, fare_high_usd: 12.5, eta_low_minutes: 1, eta_high_minutes: 7 });
    expect(quotedRanges({ duration: null, cost: null })).toEqual({
      fare_low_usd: null,
      fare_high_usd: null,
      eta_low_minutes: null,
      eta_high_minutes: null,
    });
  });
});
