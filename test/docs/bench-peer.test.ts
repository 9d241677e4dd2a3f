import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/lib/report.js';
import type { PeerResult, PeerStep } from '../../bench/sections/peer.js';
import { peerDetail, peerRows } from '../../scripts/docs/bench-peer.js';

function step(offeredPerSec: number, p50: number, p99: number, fleetCpuSecPer1000: number, decided = 100): PeerStep {
  return {
    offeredPerSec,
    sentPerSec: offeredPerSec,
    sent: 100,
    decided,
    complete: decided,
    degraded: 0,
    latencyMs: { p50, p95: p99, p99, max: p99 },
    cpuSecPer1000: {
      duration: 0.1,
      cost: 0.1,
      tip: 0.1,
      decision: 0.1,
      broker: fleetCpuSecPer1000 - 0.4,
      producer: 0.05,
    },
    fleetCpuSecPer1000,
    decisionRecordsPerBatch: 3,
  };
}

const peer: PeerResult = {
  partitions: 6,
  warmup: { perSec: 500, seconds: 30 },
  stepSec: 20,
  versions: { python: '3.11', confluentKafka: '2.16.1', librdkafka: '2.16.0', onnxruntime: '1.23.2' },
  ours: { steps: [step(1000, 20, 90, 0.8), step(200, 8, 20, 1.5)], peakRssMb: { duration: 200 } },
  python: { steps: [step(200, 14, 25, 2), step(1000, 29, 78, 1)], peakRssMb: { duration: 80 } },
};
const results = { peer } as unknown as BenchResults;

describe('bench figures against the Python peer', () => {
  it('mark each target met only when ours is lower, with the gap ours − peer', () => {
    const [at200, at1000, cpu] = peerRows(results);
    expect(at200[1]).toBe('ours 8 / 20 ms, peer 14 / 25 ms');
    expect(at200[2]).toBe('ours lower: met (ours − peer: p50 −6, p99 −5 ms)');
    expect(at1000[1]).toBe('ours 20 / 90 ms, peer 29 / 78 ms');
    expect(at1000[2]).toBe('ours lower: **not met** (ours − peer: p50 −9, p99 +12 ms)');
    expect(cpu[1]).toBe('ours 1.50 · 0.80 CPU s, peer 2.00 · 1.00 CPU s');
    expect(cpu[2]).toBe('ours lower: met (ours − peer: at 200 −0.50, at 1,000 −0.20 CPU s)');
  });

  it('compare no latency of a side that did not decide every ride it was sent: its slowest are missing', () => {
    const short = { ...peer, python: { ...peer.python, steps: [step(200, 14, 25, 2), step(1000, 29, 78, 1, 90)] } };
    const [at200, at1000] = peerRows({ peer: short } as unknown as BenchResults);
    expect(at200[2]).toBe('ours lower: met (ours − peer: p50 −6, p99 −5 ms)');
    expect(at1000[1]).toBe('ours 20 / 90 ms, peer 29 / 78 ms (peer: 90 of 100 rides decided)');
    expect(at1000[2]).toBe("ours lower: not comparable (a side's percentiles leave out the rides it did not decide)");
    const oursShort = { ...peer, ours: { ...peer.ours, steps: [step(1000, 20, 90, 0.8, 99), step(200, 8, 20, 1.5)] } };
    expect(peerRows({ peer: oursShort } as unknown as BenchResults)[1][2]).toMatch(/^ours lower: not comparable/);
  });

  it('judge no CPU without every process metered, the broker among them', () => {
    const unmetered = (s: PeerStep): PeerStep => {
      const { broker: _, ...cpuSecPer1000 } = s.cpuSecPer1000;
      // As the stage recorded it before a process without a figure made the sum not a number.
      return { ...s, cpuSecPer1000, fleetCpuSecPer1000: s.fleetCpuSecPer1000 - s.cpuSecPer1000.broker };
    };
    const noBroker = { ...peer, python: { ...peer.python, steps: peer.python.steps.map(unmetered) } };
    const cpu = peerRows({ peer: noBroker } as unknown as BenchResults)[2];
    expect(cpu[1]).toBe('ours 1.50 · 0.80 CPU s, peer – · – CPU s');
    expect(cpu[2]).toBe('ours lower: not measured (ours − peer: at 200 –, at 1,000 – CPU s)');
    // Written since: the sum not a number, which the JSON holds as null.
    const nulls = (s: PeerStep): PeerStep => ({ ...s, fleetCpuSecPer1000: null as unknown as number });
    const written = { ...noBroker, python: { ...noBroker.python, steps: noBroker.python.steps.map(nulls) } };
    expect(peerRows({ peer: written } as unknown as BenchResults)[2][2]).toMatch(/^ours lower: not measured /);
  });

  it('render nothing for a run that did not measure them', () => {
    expect(peerRows({} as BenchResults)).toEqual([]);
    expect(peerDetail({} as BenchResults)).toEqual([]);
  });

  it('list both sides by rate in bench/README.md, with the process costs', () => {
    const text = peerDetail(results).join('\n');
    expect(text).toContain('confluent-kafka 2.16.1 (librdkafka 2.16.0)');
    expect(text.indexOf('| ours | 200 |')).toBeLessThan(text.indexOf('| ours | 1,000 |'));
    expect(text).toContain(
      '| **model services + decision + broker** | **1.500** | **0.800** | **2.000** | **1.000** |',
    );
  });
});
