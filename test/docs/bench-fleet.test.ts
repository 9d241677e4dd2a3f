import { describe, expect, it } from 'vitest';
import { nextRate, stepFigures, sustainedRange, type StepDecision } from '../../bench/sections/fleet.js';

const step = (offeredPerSec: number, sustained: boolean) => ({ offeredPerSec, sustained });

describe("the fleet's highest sustained rate", () => {
  it('is the highest rate held below the lowest that did not hold', () => {
    const steps = [step(500, true), step(1000, true), step(2000, false), step(5000, true)];
    expect(sustainedRange(steps)).toEqual({ highestSustainedPerSec: 1000, lowestUnsustainedPerSec: 2000 });
  });

  it('is a lower bound when every rate held, and 0 when none did', () => {
    expect(sustainedRange([step(500, true), step(1000, true)])).toEqual({
      highestSustainedPerSec: 1000,
      lowestUnsustainedPerSec: null,
    });
    expect(sustainedRange([step(500, false), step(1000, false)])).toEqual({
      highestSustainedPerSec: 0,
      lowestUnsustainedPerSec: 500,
    });
  });

  it('is searched for in the gap below the lowest rate that did not hold, or past the top', () => {
    expect(nextRate([step(500, true), step(1000, true), step(2000, false), step(5000, true)])).toBe(1500);
    expect(nextRate([step(1000, true), step(5000, true)])).toBe(7500);
    expect(nextRate([step(1000, true), step(1250, false)])).toBeUndefined();
  });
});

describe("a fleet step's figures", () => {
  const decision = (n: number, latencyMs: number, receivedAt: number): StepDecision => ({
    rideId: `r1000-${n}`,
    latencyMs,
    decidedLatencyMs: latencyMs - 1,
    receivedAt,
    complete: true,
  });
  const record = (decisions: StepDecision[]) => ({
    offeredPerSec: 1000,
    sentIds: ['r1000-0', 'r1000-1', 'r1000-2', 'r1000-3'],
    sendStartMs: 0,
    sendEndMs: 4,
    decisions,
    cpuSec: { decision: 0.002 },
  });
  const all = [decision(0, 10, 1), decision(1, 12, 2), decision(2, 14, 3), decision(3, 16, 4)];

  it('count each ride once: a duplicate does not stand in for a ride with no decision', () => {
    // Ride 3 got no decision; ride 0 got a second one, received late.
    const figures = stepFigures(record([...all.slice(0, 3), decision(0, 5000, 5000)]));
    expect(figures.decided).toBe(3);
    expect(figures.complete).toBe(3);
    expect(figures.sustained).toBe(false);
    // The duplicate is not among the latencies, nor the last decision.
    expect(figures.latencyMs.max).toBe(14);
    expect(figures.decidedLatencyMs.p99).toBe(13);
    expect(figures.drainMs).toBe(0);
  });

  it("keep a ride's first decision and sustain the rate when every ride got one", () => {
    const figures = stepFigures(record([...all, decision(2, 900, 6)]));
    expect(figures).toMatchObject({ sent: 4, decided: 4, sentPerSec: 1000, decidedPerSecDuringSend: 1000 });
    expect(figures.latencyMs).toEqual({ p50: 12, p95: 16, p99: 16, max: 16 });
    expect(figures.cpuSecPer1000).toEqual({ decision: 0.5 });
    expect(figures.sustained).toBe(true);
  });
});
