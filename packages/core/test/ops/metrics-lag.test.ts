import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/ops/metrics.js';
import { batchReport as report } from './batch-report.js';

// Regression: the lag of a partition stayed exported by an instance after a rebalance gave
// it to another one (counted twice in a sum over instances), and froze once consuming stopped.
describe('the lag metric', () => {
  it('keeps only the partitions of the assignment, of every topic, and none once retained to nothing', async () => {
    const metrics = createMetrics('test');
    for (const [topic, partition] of [
      ['rides', 0],
      ['rides', 1],
      ['completed', 1],
    ] as const)
      metrics.observeBatch(report(topic, partition));
    const series = async () => (await metrics.lag.get()).values.map((v) => `${v.labels.topic}:${v.labels.partition}`);

    metrics.retainLag({ rides: [1], completed: [1, 2] });
    expect(await series()).toEqual(['rides:1', 'completed:1']);
    metrics.observeBatch(report('rides', 0));
    expect(await series()).toEqual(['rides:1', 'completed:1', 'rides:0']);
    metrics.retainLag({});
    expect(await series()).toEqual([]);
  });
});
