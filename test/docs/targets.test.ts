import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/lib/report.js';
import type { FleetResult, RateStep } from '../../bench/sections/fleet.js';
import { benchSummary } from '../../scripts/docs/bench.js';
import { batchingRows } from '../../scripts/docs/bench-batching.js';
import { coldTargetLine, demoSection, readDemoRun, type DemoRun } from '../../scripts/docs/demo.js';

function step(offeredPerSec: number, p50: number, p99: number, brokerCpu: number): RateStep {
  return {
    offeredPerSec,
    sentPerSec: offeredPerSec,
    sent: 100,
    decided: 100,
    complete: 100,
    degraded: 0,
    decidedPerSecDuringSend: offeredPerSec,
    drainMs: 10,
    latencyMs: { p50, p95: p99, p99, max: p99 },
    decidedLatencyMs: { p50, p99 },
    cpuSecPer1000: { duration: 0.1, cost: 0.1, tip: 0.1, decision: 0.1, monitor: 0.2, broker: brokerCpu, bench: 5 },
    sustained: true,
  };
}

function fleet(steps: RateStep[]): FleetResult {
  return { steps, highestSustainedPerSec: 1000, lowestUnsustainedPerSec: null, peakRssMb: {}, env: {}, partitions: 6 };
}

const results = (steps: RateStep[]) =>
  ({ tuning: { fleetBatching: { default: fleet(steps) } } }) as unknown as BenchResults;

describe('targets in the generated README rows say by how much they are missed', () => {
  it('the default fleet at 1,000 rides/s: latency and CPU per 1,000 rides (the bench and the monitor left out)', () => {
    const rows = batchingRows(results([step(200, 8, 17, 0.1), step(1000, 11, 28, 1.06)]));
    expect(rows.map((r) => r[2])).toEqual([
      'default, p50 ≤ 10 and p99 ≤ 25 ms: met',
      'default, p50 ≤ 10 and p99 ≤ 25 ms: **not met** (+1 / +3 ms); default, four services + broker ≤ 0.5 CPU s: **not met** (1.46, +0.96 CPU s)',
    ]);
  });

  it('a fleet within both targets is met, with no amounts', () => {
    const rows = batchingRows(results([step(1000, 9, 20, 0.05)]));
    expect(rows[0][2]).toBe('default, p50 ≤ 10 and p99 ≤ 25 ms: met; default, four services + broker ≤ 0.5 CPU s: met');
  });

  it("the demo's cold start: p99 end to end against 50 ms, the fleet's and the listener's", () => {
    const percentiles = (p99: number) => ({ p50: 10, p95: p99, p99, max: p99 });
    const run = (fleetP99: number, seenP99: number) =>
      ({ summary: { fleetLatencyMs: percentiles(fleetP99), latencyMs: percentiles(seenP99) } }) as unknown as DemoRun;
    expect(coldTargetLine(run(242, 268))).toBe(
      'Target: the demo from a cold start, p99 ≤ 50 ms end to end: **not met** in this run ' +
        '(ride→decided p99 242 ms, 192 ms over; ride→seen p99 268 ms, 218 ms over).',
    );
    expect(coldTargetLine(run(40, 50))).toBe(
      'Target: the demo from a cold start, p99 ≤ 50 ms end to end: met in this run ' +
        '(ride→decided p99 40 ms, within it; ride→seen p99 50 ms, within it).',
    );
    // With the latency by window of the run, where the slowest rides were.
    const window = (fromSec: number, p99: number) => ({ fromSec, toSec: fromSec + 2, rides: 400, p50: 5, p99 });
    const windows = [window(0, 120), window(2, 31), window(4, 14), window(6, 12), window(8, 40)];
    const withWindows = { summary: { ...run(100, 110).summary, fleetLatencyByWindow: windows } } as DemoRun;
    expect(coldTargetLine(withWindows)).toMatch(
      / By the rides' event time, its slowest stretch was 0–2 s \(p99 120 ms\), its last, 8–10 s, had p99 40 ms\.$/,
    );
    const slowEnd = { summary: { ...withWindows.summary, fleetLatencyByWindow: [window(0, 20), window(2, 90)] } };
    expect(coldTargetLine(slowEnd as DemoRun)).toMatch(/ its slowest stretch was 2–4 s \(p99 90 ms\), its last\.$/);
  });
});

// A figure not measured is NaN in a run and null in its JSON, where `null <= 25` holds.
const notMeasured = null as unknown as number;

describe('a target whose figures were not all measured says so, never met', () => {
  it('the default fleet: latency without a p99, CPU without the broker metered', () => {
    const { broker: _, ...noBroker } = step(1000, 9, 20, 0).cpuSecPer1000;
    const unmetered = { ...step(1000, 9, notMeasured, 0), cpuSecPer1000: noBroker };
    expect(batchingRows(results([unmetered]))[0][2]).toBe(
      'default, p50 ≤ 10 and p99 ≤ 25 ms: not measured; default, four services + broker ≤ 0.5 CPU s: not measured',
    );
    const brokerNull = step(1000, 9, 20, notMeasured);
    expect(batchingRows(results([brokerNull]))[0][2]).toMatch(/four services \+ broker ≤ 0\.5 CPU s: not measured$/);
  });

  it("the README's table: fleet p99, highest sustained rate, a model service's ratio to its bound", async () => {
    const run = {
      timestamp: '2026-11-25T15:57:00.000Z',
      quick: false,
      durationSec: 259,
      info: {
        machine: { cpus: 2, cpuModel: 'AMD EPYC', memoryGb: 24, loadavgAtStart: '1.00 1.00 1.00' },
        versions: { node: '20.20.2' },
      },
      errors: {},
      // No ceilings nor inference: no bound to compare the service with.
      modelServices: [{ model: 'duration', ratePerSec: 50_000, ratioToPipe: 0.5, env: {} }],
      fleet: { ...fleet([step(1000, 9, notMeasured, 0.1)]), highestSustainedPerSec: notMeasured },
    } as unknown as BenchResults;
    const rows = (await benchSummary(run)).split('\n');
    const row = (start: string): string => rows.find((line) => line.startsWith(`| ${start}`)) ?? '';
    expect(row('whole fleet, 6 partitions')).toMatch(/\| 9 \/ – \/ – ms +\| p99 ≤ 25 ms: not measured +\|$/);
    expect(row('highest sustained rate')).toMatch(/\| ≥ 10,000: not measured +\|$/);
    expect(row('model service alone')).toMatch(/\| ≥ 0\.8 of the latter: not measured +\|$/);
  });

  it("the demo's cold start without a p99", () => {
    const percentiles = (p99: number) => ({ p50: 10, p95: p99, p99, max: p99 });
    const run = {
      summary: { fleetLatencyMs: percentiles(notMeasured), latencyMs: percentiles(40) },
    } as unknown as DemoRun;
    expect(coldTargetLine(run)).toBe(
      'Target: the demo from a cold start, p99 ≤ 50 ms end to end: not measured in this run ' +
        '(ride→decided p99 not measured; ride→seen p99 40 ms, within it).',
    );
  });
});

describe('a recorded demo run that failed', () => {
  const percentiles = (p99: number) => ({ p50: 10, p95: p99, p99, max: p99 });
  const fast = { fleetLatencyMs: percentiles(40), latencyMs: percentiles(45) };

  it('meets no target, whatever its figures', () => {
    expect(coldTargetLine({ exitCode: 1, summary: fast } as unknown as DemoRun)).toBe(
      'Target: the demo from a cold start, p99 ≤ 50 ms end to end: **not met** in this run, which failed ' +
        'with exit code 1 (ride→decided p99 40 ms, within it; ride→seen p99 45 ms, within it).',
    );
    expect(coldTargetLine({ exitCode: 0, summary: fast } as unknown as DemoRun)).toMatch(/: met in this run \(/);
  });

  it('is introduced as a failed run in the README, not as a success', async () => {
    const recorded = readDemoRun();
    if (!recorded) throw new Error('docs/demo-run.json is not recorded');
    const failed = await demoSection({ ...recorded, exitCode: 3 });
    expect(failed).toMatch(/^The summary of a real run that \*\*failed \(exit 3\)\*\* \(`/);
    expect(failed).toContain('**not met** in this run, which failed with exit code 3 (');
    expect(await demoSection({ ...recorded, exitCode: 0 })).toMatch(/^The summary of a real run \(`/);
  });
});
