import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ModelHealthRecord } from '@fleet/contract';
import { monitorFigures, monitorSummary, windowSeconds } from '@fleet/cli/launcher';
import { registerMonitorMetrics } from '@fleet/monitor';

const health = (window_sec: number, over: Partial<ModelHealthRecord>): ModelHealthRecord => ({
  model: 'duration',
  model_version: '1.0.0',
  window_sec,
  window_end: 0,
  rides: 100,
  predictions: 100,
  outcomes: 80,
  outcome_share: 0.8,
  mae: 3.25,
  bias: -0.5,
  drift_status: 'OK',
  drifted_features: [],
  psi: { prediction: 0.02, pickup_borough: 0.01 },
  missing_share: { pickup_borough: 0.004 },
  ...over,
});

describe("the monitor's figures on /metrics", () => {
  it('read back by the CLI (demo, dashboard) as the monitor computed them', async () => {
    const registry = new Registry();
    const records = [
      health(60, { drift_status: 'ALERT', psi: { estimated_distance_miles: 0.29 } }),
      health(900, {}),
      health(900, { model: 'tip', mae: null, bias: null, outcomes: 0, outcome_share: null, predictions: 0 }),
    ];
    registerMonitorMetrics(registry, {
      health: () => records,
      comparisons: () => [],
      livePredictions: new Map(),
      pendingRides: 12,
      results: {
        joined: 80,
        duplicate: 0,
        unknown_model: 0,
        too_many_versions: 0,
        dropped_full: 0,
        expired_unjoined: 0,
        stale: 0,
      },
    });
    const figures = monitorFigures(await registry.metrics());
    expect([...figures.keys()]).toEqual(['1m', '15m']);
    expect(figures.get('1m')).toEqual([
      expect.objectContaining({ model: 'duration', drift: 'ALERT', psi: { estimated_distance_miles: 0.29 } }),
    ]);
    expect(figures.get('15m')![0]).toEqual({
      model: 'duration',
      version: '1.0.0',
      mae: 3.25,
      bias: -0.5,
      outcomes: 80,
      predictions: 100,
      outcomeShare: 0.8,
      drift: 'OK',
      psi: { prediction: 0.02, pickup_borough: 0.01 },
    });
    // A version that predicted nothing in the window is left out of a run's summary.
    const summary = monitorSummary(figures, 80)!;
    expect([summary.driftWindow, summary.accuracyWindow]).toEqual(['1m', '15m']);
    expect(summary.accuracy.map((f) => f.model)).toEqual(['duration']);
    expect([windowSeconds('90s'), windowSeconds('15m'), windowSeconds('1h'), windowSeconds('x')]).toEqual([
      90,
      900,
      3600,
      Number.NaN,
    ]);
  });
});
