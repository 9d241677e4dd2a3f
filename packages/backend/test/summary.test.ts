import { describe, expect, it } from 'vitest';
import type { ReceivedDecision } from '../src/listener.js';
import { quantile } from '@fleet/core';
import { formatSummary, latencyByWindow, summarize, type MonitorSummary } from '../src/summary.js';

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
  fare_low_usd: null,
  fare_high_usd: null,
  eta_low_minutes: null,
  eta_high_minutes: null,
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

  it('counts complete, degraded, undecided and duplicate decisions of the sent rides only', () => {
    const sent = new Set(['a', 'b', 'c']);
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
  });

  it("prints the monitor's accuracy and drift, not an MAE of its own", () => {
    const figures = (model: string, mae: number, bias: number, psi: Record<string, number>) => ({
      model,
      version: '1.0.0',
      mae,
      bias,
      outcomes: 2000,
      predictions: 2000,
      outcomeShare: 1,
      drift: 'ALERT' as const,
      psi,
    });
    const monitor: MonitorSummary = {
      outcomesPublished: 2000,
      accuracyWindow: '15m',
      driftWindow: '1m',
      accuracy: [figures('duration', 3.214, 0.41, {}), figures('tip', 0.6234, -0.031, {})],
      drift: [
        figures('duration', 3.2, 0.4, { estimated_distance_miles: 0.2868, prediction: 0.41, passengers: 0.002 }),
        figures('tip', 0.6, 0, { estimated_distance_miles: 0.2868, prediction: 0.05 }),
      ],
    };
    const text = formatSummary({ ...summarize(new Set(['a']), [decision('a', 1)], 0, 1), monitor });
    expect(text).toContain(
      'MAE (monitor, 15m)   duration 1.0.0 3.21 min · tip 1.0.0 0.62 USD (2000 of 2000 outcomes joined)',
    );
    expect(text).toContain('bias (monitor, 15m)  duration 1.0.0 +0.41 min · tip 1.0.0 -0.03 USD');
    expect(text).toContain(
      'drift (monitor, 1m)  ALERT, largest PSI: prediction 0.41 (duration) · estimated_distance_miles 0.287 (duration, tip) · prediction 0.05 (tip) · passengers 0.002 (duration)',
    );
    expect(formatSummary(summarize(new Set(), [], 0, 1))).toContain('monitor             no figures in this run');
    // No decision, no percentile: dashes, never NaN.
    expect(formatSummary(summarize(new Set(['a']), [], 0, 1))).not.toContain('NaN');
  });

  it("splits the fleet latency over the run by the rides' event times, so a cold start shows", () => {
    // 10 s of rides, one every 100 ms: the first 2 s slow (40 ms), the rest 5 ms.
    const rides = Array.from({ length: 100 }, (_, i) => ({
      event_time: 1_000_000 + i * 100,
      decided_at: 1_000_000 + i * 100 + (i < 20 ? 40 : 5),
    }));
    const windows = latencyByWindow(rides);
    expect(windows.map((w) => [w.fromSec, w.toSec, w.rides, w.p99])).toEqual([
      [0, 2, 20, 40],
      [2, 4, 20, 5],
      [4, 6, 20, 5],
      [6, 8, 20, 5],
      [8, 10, 20, 5],
    ]);
    // A replay a few ms over its length: the last window takes the rides past its end.
    const over = [...rides, { event_time: 1_000_000 + 10_040, decided_at: 1_000_000 + 10_090 }];
    expect(latencyByWindow(over).map((w) => [w.fromSec, w.toSec, w.rides, w.p99])).toEqual([
      [0, 2, 20, 40],
      [2, 4, 20, 5],
      [4, 6, 20, 5],
      [6, 8, 20, 5],
      [8, 10, 21, 50],
    ]);
    // Windows are whole seconds, at least one; an empty window is left out; no rides, none.
    expect(latencyByWindow([rides[0], rides[99]]).map((w) => [w.fromSec, w.toSec, w.rides])).toEqual([
      [0, 2, 1],
      [8, 10, 1],
    ]);
    expect(latencyByWindow([rides[0]]).map((w) => [w.fromSec, w.toSec])).toEqual([[0, 1]]);
    expect(latencyByWindow([])).toEqual([]);
    // A long run: more rides than a function call takes arguments.
    const many = Array.from({ length: 300_000 }, (_, i) => ({ event_time: i, decided_at: i + 3 }));
    expect(latencyByWindow(many).map((w) => [w.fromSec, w.rides, w.p99])).toEqual([
      [0, 60_000, 3],
      [60, 60_000, 3],
      [120, 60_000, 3],
      [180, 60_000, 3],
      [240, 60_000, 3],
    ]);
    const text = formatSummary(summarize(new Set(['a']), [{ ...decision('a', 7), decided_at: 7 }], 0, 1));
    expect(text).toContain("  over the run      0–1 s 7/7   (p50/p99 by the rides' event time)");
  });
});
