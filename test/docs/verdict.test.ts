import { describe, expect, it } from 'vitest';
import { isMeasured, outcome, totalOf } from '../../bench/lib/verdict.js';
import { fleetCpu, type RateStep } from '../../bench/sections/fleet.js';
import { peerFleetCpu } from '../../bench/sections/peer.js';
import { ridePathCpu } from '../../scripts/docs/bench.js';

// A figure not measured is NaN in a run and null in its JSON, where `null <= 25` holds.
const notMeasured = null as unknown as number;

describe('a verdict on figures', () => {
  it('is met or not met only when every figure it compares is a finite number', () => {
    const atMost25 = (...figures: number[]) =>
      outcome(
        figures,
        figures.every((x) => x <= 25),
      );
    expect(atMost25(20)).toBe('met');
    expect(atMost25(30, 20)).toBe('not met');
    expect(atMost25(notMeasured)).toBe('not measured');
    for (const x of [Number.NaN, undefined, Number.POSITIVE_INFINITY])
      expect(outcome([20, x], true)).toBe('not measured');
    expect([20, 0, -1].every(isMeasured)).toBe(true);
    expect([null, undefined, Number.NaN, '20'].some(isMeasured)).toBe(false);
  });

  it('sums the figures it names, or is not a number when one of them is missing or not measured', () => {
    expect(totalOf({ a: 1, b: 2, c: 4 }, ['a', 'b'])).toBe(3);
    expect(totalOf({ a: 1 }, ['a', 'b'])).toBeNaN();
    expect(totalOf({ a: 1, b: notMeasured }, ['a', 'b'])).toBeNaN();
  });
});

describe('CPU per 1,000 rides of the fleet', () => {
  const cpu = { duration: 0.1, cost: 0.1, tip: 0.1, decision: 0.1, monitor: 0.2, broker: 0.3, bench: 5 };
  const at = (cpuSecPer1000: Record<string, number>): Pick<RateStep, 'cpuSecPer1000'> => ({ cpuSecPer1000 });
  const without = (name: string): Record<string, number> =>
    Object.fromEntries(Object.entries(cpu).filter(([n]) => n !== name));

  it("is the five services and the broker (the bench left out); on the rides' path, without the monitor", () => {
    expect(fleetCpu(at(cpu))).toBeCloseTo(0.9, 10);
    expect(ridePathCpu(at(cpu))).toBeCloseTo(0.7, 10);
  });

  it('is not a number when the broker was not metered or a service has no figure', () => {
    for (const name of ['broker', 'duration', 'decision']) {
      expect(fleetCpu(at(without(name)))).toBeNaN();
      expect(ridePathCpu(at(without(name)))).toBeNaN();
    }
    expect(fleetCpu(at({ ...cpu, broker: notMeasured }))).toBeNaN();
    expect(ridePathCpu(at({ ...cpu, tip: Number.NaN }))).toBeNaN();
    // The monitor is the fleet's, not on the rides' path.
    expect(fleetCpu(at(without('monitor')))).toBeNaN();
    expect(ridePathCpu(at(without('monitor')))).toBeCloseTo(0.7, 10);
  });

  it("of the peer comparison's sides is not a number without the broker's", () => {
    const side = { duration: 0.1, cost: 0.1, tip: 0.1, decision: 0.1, broker: 0.3, producer: 5 };
    expect(peerFleetCpu(side)).toBeCloseTo(0.7, 10);
    expect(peerFleetCpu({ ...side, broker: notMeasured })).toBeNaN();
    const { broker: _, ...noBroker } = side;
    expect(peerFleetCpu(noBroker)).toBeNaN();
  });
});
