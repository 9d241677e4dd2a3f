import { describe, expect, it } from 'vitest';
import { histogramQuantile, parseHistograms } from '../../src/ops/histograms.js';

const TEXT = `# HELP fleet_hop_seconds Time of a record per hop
# TYPE fleet_hop_seconds histogram
fleet_hop_seconds_bucket{le="0.01",hop="consume",service="tip"} 50
fleet_hop_seconds_bucket{le="0.02",hop="consume",service="tip"} 90
fleet_hop_seconds_bucket{le="+Inf",hop="consume",service="tip"} 100
fleet_hop_seconds_sum{hop="consume",service="tip"} 1.5
fleet_hop_seconds_count{hop="consume",service="tip"} 100
fleet_hop_seconds_bucket{le="0.01",hop="produce",service="tip"} 0
fleet_hop_seconds_bucket{le="0.02",hop="produce",service="tip"} 0
fleet_hop_seconds_bucket{le="+Inf",hop="produce",service="tip"} 0
fleet_hop_seconds_count{hop="produce",service="tip"} 0
fleet_other_total 3
`;

describe('histograms read from /metrics', () => {
  it('groups the buckets of each series by its labels', () => {
    const series = parseHistograms(TEXT, 'fleet_hop_seconds');
    expect(series.map((s) => s.labels)).toEqual([
      { hop: 'consume', service: 'tip' },
      { hop: 'produce', service: 'tip' },
    ]);
    expect(series[0]).toMatchObject({ count: 100, sum: 1.5 });
    expect(series[0].buckets).toEqual([
      [0.01, 50],
      [0.02, 90],
      [Number.POSITIVE_INFINITY, 100],
    ]);
  });

  it('interpolates quantiles inside a bucket like histogram_quantile', () => {
    const [consume, produce] = parseHistograms(TEXT, 'fleet_hop_seconds');
    expect(histogramQuantile(consume, 0.5)).toBeCloseTo(0.01);
    // Rank 70 of 100 lies halfway through the (0.01, 0.02] bucket, which holds 50..90.
    expect(histogramQuantile(consume, 0.7)).toBeCloseTo(0.015);
    // In the +Inf bucket: the last finite bound.
    expect(histogramQuantile(consume, 0.99)).toBe(0.02);
    expect(histogramQuantile(produce, 0.5)).toBeNaN();
  });
});
