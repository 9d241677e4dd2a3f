import type { HistogramSeries } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { formatBreakdown, hopFigures, type HopSeries } from '../src/launcher/breakdown.js';

/** A histogram with buckets 1 ms, 10 ms, 100 ms, +Inf holding `counts` (not cumulative). */
function histogram(hop: string, counts: [number, number, number, number]): HistogramSeries & { hop: string } {
  const bounds = [0.001, 0.01, 0.1, Number.POSITIVE_INFINITY];
  let cumulative = 0;
  const buckets = bounds.map((upper, i): [number, number] => [upper, (cumulative += counts[i])]);
  return { hop, labels: { hop }, buckets, count: cumulative, sum: 0 };
}

describe('hopFigures', () => {
  it('gives percentiles of everything observed since the service started', () => {
    const reading: HopSeries[] = [{ service: 'tip', series: [histogram('produce', [100, 0, 0, 0])] }];
    expect(hopFigures(reading)).toEqual([{ service: 'tip', hop: 'produce', count: 100, p50: 0.5, p99: 1 }]);
  });

  it('with an earlier reading, gives only what was observed between the two', () => {
    // 100 fast observations before (a warm-up), 100 slow ones after: the step saw only the slow.
    const before: HopSeries[] = [{ service: 'tip', series: [histogram('produce', [100, 0, 0, 0])] }];
    const after: HopSeries[] = [{ service: 'tip', series: [histogram('produce', [100, 0, 100, 0])] }];
    const [figure] = hopFigures(after, before);
    expect(figure.count).toBe(100);
    expect(figure.p50).toBe(55);
    expect(figure.p99).toBe(99.1);
  });

  it('leaves out hops with nothing observed in between, and keeps hops in the order a record travels', () => {
    const quiet = histogram('process', [5, 0, 0, 0]);
    const before: HopSeries[] = [{ service: 'decision', series: [quiet, histogram('consume', [1, 0, 0, 0])] }];
    const after: HopSeries[] = [
      {
        service: 'decision',
        series: [histogram('event→output', [0, 2, 0, 0]), quiet, histogram('consume', [1, 3, 0, 0])],
      },
    ];
    expect(hopFigures(after, before).map((f) => f.hop)).toEqual(['consume', 'event→output']);
    expect(formatBreakdown(hopFigures(after, before))).toContain('decision  consume');
  });
});
