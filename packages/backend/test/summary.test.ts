import { describe, expect, it } from 'vitest';
import type { ReceivedDecision } from '../src/listener.js';
import { meanAbsoluteError, quantile, summarize } from '../src/summary.js';

const decision = (ride_id: string, latency_ms: number, complete = true): ReceivedDecision => ({
  ride_id,
  duration_min: complete ? 10 : null,
  cost_usd: 20,
  tip_usd: 2,
  complete,
  missing_models: complete ? [] : ['duration'],
  fare_quote_usd: 20,
  eta_minutes: complete ? 10 : null,
  priority: 'NORMAL',
  model_versions: {},
  event_time: 0,
  decided_at: 0,
  received_at: latency_ms,
  latency_ms,
});

describe('run summary', () => {
  it('computes nearest-rank quantiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile(values, 1)).toBe(100);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('computes MAE over present estimates only', () => {
    expect(
      meanAbsoluteError([
        [1, 2],
        [5, 3],
        [null, 100],
      ]),
    ).toBe(1.5);
    expect(meanAbsoluteError([[null, 1]])).toBeNaN();
  });

  it('counts complete, degraded, undecided and duplicate decisions of the sent rides only', () => {
    const actual = { duration_min: 12, cost_usd: 18, tip_usd: 3 };
    const sent = new Map([
      ['a', actual],
      ['b', actual],
      ['c', actual],
    ]);
    const s = summarize(
      sent,
      [decision('a', 10), decision('a', 11), decision('b', 30, false), decision('zzz', 5)],
      2,
      1.23,
    );
    expect(s).toMatchObject({
      ridesSent: 3,
      decisionsReceived: 2,
      complete: 1,
      degraded: 1,
      undecided: 1,
      duplicateDecisions: 1,
      dlqRecords: 2,
    });
    expect(s.latencyMs.p50).toBe(10);
    expect(s.mae).toEqual({ duration_min: 2, cost_usd: 2, tip_usd: 1 });
  });
});
