import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/lib/report.js';
import { onlineTableLines, onlineVerdicts } from '../../bench/sections/online-report.js';
import type { OnlineResult, OnlineTargetResult } from '../../bench/sections/online.js';
import type { LoadRun } from '../../bench/sections/online-load.js';
import { mergedRunLines } from '../../scripts/docs/bench.js';
import { onlineDetail, onlineRows } from '../../scripts/docs/bench-online.js';

const run = (requestsPerSec: number, p50: number, p99: number): LoadRun => ({
  requestsPerSec,
  requests: requestsPerSec * 10,
  seconds: 10,
  latencyMs: { p50, p99, max: p99 * 2 },
  non2xx: 0,
  errors: 0,
});
const target = (rps: number, p99AtRate: number, meanBatchRows?: number): OnlineTargetResult => ({
  saturated: run(rps, 3, 9),
  atRate: run(1000, p99AtRate / 3, p99AtRate),
  meanBatchRows,
});
const withCpu = (t: OnlineTargetResult, usPerRequest: number, servingThread?: number): OnlineTargetResult => ({
  ...t,
  saturatedCpu: { cores: (t.saturated.requestsPerSec * usPerRequest) / 1e6, usPerRequest, servingThread },
});
const plan = {
  connections: 32,
  rounds: 1,
  ratePerSec: 1000,
  warmupSec: 3,
  saturatedSec: 10,
  rateSec: 10,
  autocannon: '8.0.0',
};

describe('bench figures of the online service', () => {
  it('mark each target met or not from the measured ratios and p99', () => {
    const online: OnlineResult = {
      ...plan,
      targets: {
        noop: target(20_000, 1),
        quote: target(9_000, 4.5, 7.5),
        quoteUnbatched: target(6_000, 4),
        peer: target(1_500, 30),
      },
    };
    const v = onlineVerdicts(online);
    expect(v.quoteToNoop).toEqual({ value: 0.45, goal: 0.5, met: false });
    expect(v.quoteToPeer).toEqual({ value: 6, goal: 5, met: true });
    expect(v.p99).toEqual({ value: 4.5, goal: 5, met: true });
    const rows = onlineRows({ online } as unknown as BenchResults);
    expect(rows.map(([what]) => what)).toEqual([
      expect.stringMatching(/^online, saturated requests\/s: \(a\) do-nothing Fastify route/),
      'online: (b) ÷ (a)',
      'online: (b) ÷ (d)',
      'online, p50 / p99 at 1,000 requests/s: (b) · (c) · (a) · (d)',
    ]);
    expect(rows[0][1]).toBe('20.0k / 9.0k / 6.0k / 1.5k requests/s');
    expect(rows[1].slice(1)).toEqual(['**0.45**', '≥ 0.5: **not met**']);
    expect(rows[2].slice(1)).toEqual(['**6.00**', '≥ 5: met']);
    expect(rows[3][2]).toBe('p99 of (b) ≤ 5 ms: met');
    expect(onlineDetail({ online } as unknown as BenchResults).join('\n')).toMatch(
      /\| \(b\) \/v1\/quote, 1 ride per request \| +9,000 \|.*\| +7\.5 \|/,
    );
  });

  it("judge a ratio by the median of the rounds' ratios, runs made side by side", () => {
    const rounds = (t: OnlineTargetResult, rps: number[]): OnlineTargetResult => ({ ...t, rounds: rps });
    const online: OnlineResult = {
      ...plan,
      rounds: 3,
      targets: {
        // The machine slowed down in round 2: every server's figure fell, the ratios did not.
        noop: rounds(target(30_000, 1), [30_000, 20_000, 36_000]),
        quote: rounds(target(15_000, 2), [15_000, 11_000, 19_800]),
        peer: rounds(target(3_000, 3), [3_000, 2_000, 3_600]),
      },
    };
    const v = onlineVerdicts(online);
    // Ratios per round 0.5, 0.55, 0.55 and 5, 5.5, 5.5: their medians, not the medians' ratios (0.5 and 5).
    expect(v.quoteToNoop?.value).toBeCloseTo(0.55, 6);
    expect(v.quoteToPeer?.value).toBeCloseTo(5.5, 6);
    expect(onlineDetail({ online } as unknown as BenchResults).join('\n')).toMatch(/\| 15,000 · 11,000 · 19,800 \|/);
  });

  it('never rounds a ratio just short of its goal up to the goal', () => {
    const online: OnlineResult = {
      ...plan,
      targets: { noop: target(20_000, 1), quote: target(14_940, 2), peer: target(3_000, 5) },
    };
    const [, , toPeer] = onlineRows({ online } as unknown as BenchResults);
    expect(toPeer.slice(1)).toEqual(['**4.98**', '≥ 5: **not met**']);
  });

  it('say why the peer was not measured, and judge nothing they cannot', () => {
    const online: OnlineResult = {
      ...plan,
      targets: { quote: target(9_000, 6) },
      peerSkipped: 'gunicorn did not start',
    };
    const v = onlineVerdicts(online);
    expect(v.quoteToNoop).toBeUndefined();
    expect(v.quoteToPeer).toBeUndefined();
    expect(v.p99?.met).toBe(false);
    const rows = onlineRows({ online } as unknown as BenchResults);
    expect(rows[0][1]).toMatch(/\(\(d\) not measured: gunicorn did not start\)$/);
    expect(rows.map(([what]) => what)).not.toContain('online: (b) ÷ (a)');
  });

  it("show each server's CPU per request while saturated, and how busy (b)'s event loop was", () => {
    const online: OnlineResult = {
      ...plan,
      targets: {
        noop: withCpu(target(20_000, 1), 30.04, 0.71),
        quote: withCpu(target(10_000, 2, 9), 95.26, 0.97),
        peer: withCpu(target(2_000, 5), 480),
      },
    };
    const rows = onlineRows({ online } as unknown as BenchResults);
    const cpu = rows.find(([what]) => what.startsWith('online, saturated: CPU'));
    expect(cpu?.[1]).toBe('30.0 / 95.3 / – / 480.0 µs · 0.97');
    expect(onlineDetail({ online } as unknown as BenchResults).join('\n')).toMatch(
      /\| \(b\) \/v1\/quote, 1 ride per request \| +10,000 \|.*\| +9\.0 \| +95\.3 \| +0\.95 \| +0\.97 \|/,
    );
  });

  it('judge no target on a figure that was not measured (null in the JSON)', () => {
    const notMeasured = null as unknown as number;
    const quote = target(9_000, 4.5);
    const online: OnlineResult = {
      ...plan,
      targets: {
        noop: { ...target(20_000, 1), saturated: run(notMeasured, 3, 9) },
        quote: { ...quote, atRate: { ...quote.atRate, latencyMs: { p50: 1.5, p99: notMeasured, max: 9 } } },
        peer: target(1_500, 30),
      },
    };
    const v = onlineVerdicts(online);
    expect(v.quoteToNoop?.met).toBe(false);
    expect(v.p99?.met).toBe(false);
    const rows = onlineRows({ online } as unknown as BenchResults);
    expect(rows[1].slice(1)).toEqual(['**–**', '≥ 0.5: not measured']);
    expect(rows[2].slice(1)).toEqual(['**6.00**', '≥ 5: met']);
    expect(rows[3][2]).toBe('p99 of (b) ≤ 5 ms: not measured');
    expect(onlineTableLines(online).at(-1)).toBe(
      'targets: (b)/(a) - (goal 0.5: not measured) · (b)/(d) 6.00 (goal 5: met) · p99 of (b) - ms (goal 5 ms: not measured)',
    );
  });

  it('leave the CPU row out for a run that did not meter it', () => {
    const online: OnlineResult = { ...plan, targets: { noop: target(20_000, 1), quote: target(9_000, 2) } };
    const rows = onlineRows({ online } as unknown as BenchResults);
    expect(rows.map(([what]) => what).some((what) => what.includes('CPU'))).toBe(false);
  });

  it('render nothing for a run without the stage, and name the run a merged stage comes from', () => {
    expect(onlineRows({} as BenchResults)).toEqual([]);
    expect(onlineDetail({} as BenchResults)).toEqual([]);
    const merged = {
      stageRuns: {
        online: {
          timestamp: '2026-11-25T22:00:00.000Z',
          commit: 'abc1234',
          quick: true,
          durationSec: 60,
          info: {
            machine: { cpus: 2, cpuModel: 'AMD EPYC', memoryGb: 24, loadavgAtStart: '0.5 0.4 0.3' },
            versions: { node: '20.20.2' },
          },
          loadavgAtEnd: '0.9 0.5 0.3',
        },
      },
    } as unknown as BenchResults;
    expect(mergedRunLines(merged)).toEqual([
      '',
      'The `online` figures come from another run: 2026-11-25 22:00 UTC · commit `abc1234` · 2 cores AMD EPYC, 24 GB, Node.js 20.20.2 · `--quick` run (a smoke test: quote a full run), 60 s · load average 0.5 at start, 0.9 at end.',
    ]);
  });
});
