import { describe, expect, it } from 'vitest';
import { comparisonsOf, formatComparisons } from '../src/lifecycle/comparisons.js';

// As the monitor's /metrics writes them (prom-client text format).
const METRICS = `# HELP fleet_monitor_compare_rides Rides with an outcome and a prediction of both
# TYPE fleet_monitor_compare_rides gauge
fleet_monitor_compare_rides{model="duration",live_version="1.0.0",shadow_version="2.0.0",service="monitor"} 264
fleet_monitor_compare_rides{model="cost",live_version="1.0.0",shadow_version="2.0.0",service="monitor"} 12
# TYPE fleet_monitor_compare_mae gauge
fleet_monitor_compare_mae{model="duration",live_version="1.0.0",shadow_version="2.0.0",role="live",service="monitor"} 3.25
fleet_monitor_compare_mae{model="duration",live_version="1.0.0",shadow_version="2.0.0",role="shadow",service="monitor"} 3.0
fleet_monitor_compare_mae{model="cost",live_version="1.0.0",shadow_version="2.0.0",role="live",service="monitor"} 1.5
`;

describe('comparisonsOf', () => {
  it("reads one model's live/shadow pairs from the monitor's metrics", () => {
    expect(comparisonsOf(METRICS, 'duration')).toEqual([
      { live_version: '1.0.0', shadow_version: '2.0.0', rides: 264, live_mae: 3.25, shadow_mae: 3 },
    ]);
    const [cost] = comparisonsOf(METRICS, 'cost');
    expect(cost).toMatchObject({ rides: 12, live_mae: 1.5 });
    expect(cost.shadow_mae).toBeNaN();
    expect(comparisonsOf(METRICS, 'tip')).toEqual([]);
  });
});

describe('formatComparisons', () => {
  it("prints the shadow's change in per cent, and a dash where it is no number", () => {
    const row = { live_version: '1.0.0', shadow_version: '2.0.0', rides: 10 };
    const text = formatComparisons([
      { ...row, live_mae: 4, shadow_mae: 3 },
      { ...row, live_mae: 0, shadow_mae: 0.5 },
      { ...row, live_mae: 0, shadow_mae: 0 },
    ]);
    expect(text).toMatch(/-25\.0 %/);
    expect(text).not.toMatch(/Infinity|NaN/);
    expect(text.match(/–/g)).toHaveLength(2);
  });
});
