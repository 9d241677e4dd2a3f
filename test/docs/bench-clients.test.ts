import { describe, expect, it } from 'vitest';
import { clientFleetRuns, joinFleetRuns } from '../../bench/sections/alt-client.js';
import type { FleetResult, RateStep } from '../../bench/sections/fleet.js';

describe("the clients' fleet runs", () => {
  const timing = { stepSec: 15, warmupSec: 10, brokerPid: 42 };

  it('alternate which client goes first at each rate (ABBA)', () => {
    const order = clientFleetRuns([200, 1000, 5000], timing).map((r) => `${r.kind}@${r.options.rates.join()}`);
    expect(order).toEqual([
      'kafkajs@200',
      'platformatic@200',
      'platformatic@1000',
      'kafkajs@1000',
      'kafkajs@5000',
      'platformatic@5000',
    ]);
  });

  it("are each warmed as the fleet stage is, on the client's own topics", () => {
    const runs = clientFleetRuns([200, 1000], timing);
    for (const { kind, options } of runs) {
      expect(options).toMatchObject({ stepSec: 15, warmupSec: 10, searchSteps: 0, brokerPid: 42 });
      expect(options.env).toEqual({ KAFKA_CLIENT: kind });
    }
    expect(new Set(runs.map((r) => r.options.tag)).size).toBe(runs.length);
  });

  it("join into one client's fleet result, with its sustained range and peak RSS", () => {
    const at = (offeredPerSec: number, sustained: boolean): RateStep =>
      ({ offeredPerSec, sustained }) as unknown as RateStep;
    const fleet = (s: RateStep, rss: number): FleetResult => ({
      steps: [s],
      highestSustainedPerSec: s.sustained ? s.offeredPerSec : 0,
      lowestUnsustainedPerSec: s.sustained ? null : s.offeredPerSec,
      peakRssMb: { duration: rss, decision: 100 },
      env: { KAFKA_CLIENT: 'kafkajs' },
      partitions: 6,
    });
    const joined = joinFleetRuns([fleet(at(200, true), 300), fleet(at(1000, false), 250)]);
    expect(joined).toEqual({
      steps: [at(200, true), at(1000, false)],
      highestSustainedPerSec: 200,
      lowestUnsustainedPerSec: 1000,
      peakRssMb: { duration: 300, decision: 100 },
      env: { KAFKA_CLIENT: 'kafkajs' },
      partitions: 6,
    });
  });
});
