import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastHistogram } from '../../src/ops/fast-histogram.js';

const BUCKETS = [0.001, 0.0025, 0.01, 0.1, 1];

/** The same observations in prom-client's Histogram and in ours, each in a registry of its own. */
function both<L extends string>(labelNames: readonly L[]) {
  const registries = [new Registry(), new Registry()] as const;
  for (const r of registries) r.setDefaultLabels({ service: 'duration' });
  const options = { name: 'fleet_test_seconds', help: 'A test histogram', buckets: BUCKETS };
  const theirs = new Histogram({ ...options, labelNames: [...labelNames], registers: [registries[0]] });
  const ours = new FastHistogram<L>({ ...options, labelNames, registers: [registries[1]] });
  return { registries, theirs, ours };
}

describe('FastHistogram', () => {
  it("exposes what prom-client's Histogram exposes for the same observations, without labels", async () => {
    const { registries, theirs, ours } = both([]);
    // Unobserved: a series at zero, as prom-client has.
    expect(await registries[1].metrics()).toBe(await registries[0].metrics());
    for (const v of [0, 0.0005, 0.001, 0.002, 0.0025, 0.5, 1, 3, 1e-9, 0.1]) {
      theirs.observe(v);
      ours.observe(v);
    }
    expect(await registries[1].metrics()).toBe(await registries[0].metrics());
    expect(await registries[1].getMetricsAsJSON()).toEqual(await registries[0].getMetricsAsJSON());
  });

  it('does so per series, with one label and with several', async () => {
    for (const names of [['hop'], ['route', 'method', 'status']] as const) {
      const { registries, theirs, ours } = both<string>(names);
      for (let i = 0; i < 200; i++) {
        const labels = Object.fromEntries(names.map((n, j) => [n, `${n}-${(i + j) % 3}`]));
        const v = (i % 17) / 300;
        theirs.observe(labels, v);
        ours.observe(labels, v);
      }
      expect(await registries[1].metrics()).toBe(await registries[0].metrics());
      expect(await registries[1].getMetricsAsJSON()).toEqual(await registries[0].getMetricsAsJSON());
    }
  });

  it('refuses a value that is not finite, an unknown label and buckets out of order', () => {
    const ours = new FastHistogram<'hop'>({
      name: 'h',
      help: 'h',
      labelNames: ['hop'],
      buckets: BUCKETS,
      registers: [],
    });
    expect(() => ours.observe({ hop: 'consume' }, Number.NaN)).toThrow(TypeError);
    expect(() => ours.observe({ nope: 'x' } as never, 1)).toThrow(/unknown label nope/);
    expect(() => new FastHistogram({ name: 'b', help: 'b', buckets: [1, 0.5], registers: [] })).toThrow(/ascending/);
  });

  it('forgets its observations on reset', async () => {
    const { registries, theirs, ours } = both<'hop'>(['hop']);
    for (const h of [theirs, ours]) {
      h.observe({ hop: 'consume' }, 0.004);
      h.reset();
      h.observe({ hop: 'produce' }, 0.02);
    }
    expect(await registries[1].metrics()).toBe(await registries[0].metrics());
  });
});
