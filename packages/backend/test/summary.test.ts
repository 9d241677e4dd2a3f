import { describe, expect, it } from 'vitest';
import type { ReceivedDecision } from '../src/listener.js';
import { quantile } from '@fleet/core';
import { meanAbsoluteError, summarize } from '../src/summary.js';

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
    const outcome = { duration_min: 12, cost_usd: 18, tip_usd: 3 };
    const sent = new Map([
      ['a', { outcome, source: 0 }],
      ['b', { outcome, source: 1 }],
      ['c', { outcome, source: 2 }],
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
    expect(s.maeRides).toBe(2);
  });

  it('counts each real ride once in the MAE when the replay sent it several times', () => {
    const far = { duration_min: 30, cost_usd: 20, tip_usd: 2 };
    const near = { duration_min: 10, cost_usd: 20, tip_usd: 2 };
    // Three copies of the same real ride (source 0) and one of another (source 1).
    const sent = new Map([
      ['a', { outcome: far, source: 0 }],
      ['b', { outcome: far, source: 0 }],
      ['c', { outcome: far, source: 0 }],
      ['d', { outcome: near, source: 1 }],
    ]);
    const s = summarize(
      sent,
      ['a', 'b', 'c', 'd'].map((id) => decision(id, 1)),
      0,
      1,
    );
    // |10 − 30| once and |10 − 10| once: 10, not the 15 that counting copies would give.
    expect(s.mae.duration_min).toBe(10);
    expect(s.maeRides).toBe(2);
  });
});
