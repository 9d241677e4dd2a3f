/**
 * Faults of the service processes, one after another on one fleet under a steady stream of
 * real rides: SIGKILL a model instance in the middle of a model call, SIGKILL one after its
 * produce and before its commit, SIGKILL the decision service with joins half done, 10 %
 * of the rides published twice, a group scaled 1 → 2 → 1, and a model call slower than the
 * session timeout. Each fault uses its own ride ids and is audited on the topics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../packages/cli/src/procs/spawn.js';
import { eventually } from '../helpers.js';
import { expectClean, finishFault, measureBaseline, sleep } from './lib/fault.js';
import { startProcFleet, type ProcFleet } from './lib/fleet.js';
import { createRideTracker, type RideTracker } from './lib/stream.js';

const SESSION_TIMEOUT_MS = 6000;
let fleet: ProcFleet;
let tracker: RideTracker;
let baselineP99Ms: number;

beforeAll(async () => {
  fleet = await startProcFleet({
    env: { KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), DECISION_JOIN_TIMEOUT_MS: '15000' },
  });
  await Promise.all([
    // duration-1 spends ~300 ms in each model call, so a kill almost always lands mid-batch.
    fleet.start('duration', { faulty: true, env: { FAULT_SCORE_DELAY_MS: '300' } }),
    fleet.start('duration'),
    fleet.start('cost'),
    fleet.start('tip'),
    fleet.start('decision'),
  ]);
  tracker = await createRideTracker(fleet.topics);
  baselineP99Ms = await measureBaseline(tracker, `${fleet.prefix}-baseline`);
}, 180_000);

afterAll(async () => {
  await tracker?.close();
  await fleet?.close();
}, 60_000);

/** Waits for a new line matching `pattern` in an instance's log. */
async function nextLogLine(name: string, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const before = fleet.logLines(name, pattern).length;
  await eventually(() => fleet.logLines(name, pattern).length > before, `${name} to log ${pattern}`, timeoutMs);
}

describe('service process faults under load', () => {
  it('SIGKILL of a model instance in the middle of a model call', async () => {
    const idPrefix = `${fleet.prefix}-kill-model`;
    const stream = await tracker.stream(idPrefix);
    await sleep(4000);
    await nextLogLine('duration-1', /fault: slow model call/);
    await sleep(100);
    const injectedAt = Date.now();
    await fleet.signal('duration-1', 'SIGKILL');
    await sleep(SESSION_TIMEOUT_MS + 4000);
    expectClean(
      await finishFault({
        fault: 'SIGKILL model instance mid-batch',
        fleet,
        tracker,
        stream,
        idPrefix,
        injectedAt,
        baselineP99Ms,
      }),
    );
  });

  it('SIGKILL of a model instance after its produce, before its commit', async () => {
    const idPrefix = `${fleet.prefix}-kill-commit`;
    const stream = await tracker.stream(idPrefix);
    await sleep(2000);
    // Joins the group (a rebalance), then kills itself right after its 3rd acknowledged send.
    const injectedAt = Date.now();
    const victim = await fleet.start('duration', {
      faulty: true,
      env: { FAULT_KILL_AFTER_PRODUCE: '3' },
      wait: false,
    });
    await eventually(() => victim.exitCode !== undefined, 'the instance to kill itself after a produce', 60_000);
    fleet.instances.delete(victim.name);
    expect(fleet.logLines(victim.name, /SIGKILL after the produce/)).toHaveLength(1);
    expect(victim.pid === undefined || !isAlive(victim.pid)).toBe(true);
    await sleep(SESSION_TIMEOUT_MS + 4000);
    expectClean(
      await finishFault({
        fault: 'SIGKILL model after produce, before commit',
        fleet,
        tracker,
        stream,
        idPrefix,
        injectedAt,
        baselineP99Ms,
      }),
    );
  });

  it('SIGKILL of the decision service with joins half done, restarted by its supervisor', async () => {
    const idPrefix = `${fleet.prefix}-kill-decision`;
    const stream = await tracker.stream(idPrefix);
    await sleep(3000);
    // Hold the tip service so that every ride of the last seconds has 2 of its 3 predictions.
    await fleet.signal('tip-1', 'SIGSTOP');
    await sleep(2500);
    const injectedAt = Date.now();
    await fleet.signal('decision-1', 'SIGKILL');
    await fleet.signal('tip-1', 'SIGCONT');
    await fleet.start('decision');
    await sleep(5000);
    expectClean(
      await finishFault({
        fault: 'SIGKILL decision, joins half done',
        fleet,
        tracker,
        stream,
        idPrefix,
        injectedAt,
        baselineP99Ms,
        notes: 'tip paused 2.5 s before the kill; decision restarted at once',
      }),
    );
  });

  it('10 % of ride_started published twice (half at once, half 3 s later)', async () => {
    const idPrefix = `${fleet.prefix}-dup`;
    const injectedAt = Date.now();
    const stream = await tracker.stream(idPrefix, { duplicateShare: 0.1 });
    await sleep(12_000);
    const outcome = await finishFault({
      fault: '10 % duplicate rides',
      fleet,
      tracker,
      stream,
      idPrefix,
      injectedAt,
      baselineP99Ms,
    });
    expect(stream.duplicatesSent).toBeGreaterThan(stream.sent.size * 0.05);
    expectClean(outcome);
  });

  it('scaling the cost group 1 -> 2 -> 1 under load', async () => {
    const idPrefix = `${fleet.prefix}-scale`;
    const stream = await tracker.stream(idPrefix);
    await sleep(3000);
    const injectedAt = Date.now();
    await fleet.start('cost');
    await sleep(5000);
    await fleet.stop('cost-1');
    await sleep(5000);
    expectClean(
      await finishFault({
        fault: 'scale cost 1 -> 2 -> 1',
        fleet,
        tracker,
        stream,
        idPrefix,
        injectedAt,
        baselineP99Ms,
      }),
    );
  });

  it('a model call slower than the session timeout on one instance: no rebalance storm', async () => {
    const idPrefix = `${fleet.prefix}-slow`;
    const joins = () => fleet.logLines('duration-2', /joined the consumer group/).length;
    const stream = await tracker.stream(idPrefix);
    await sleep(2000);
    const injectedAt = Date.now();
    // Every model call of this instance takes 1.5 x the session timeout, for 4 calls.
    await fleet.start('duration', {
      faulty: true,
      env: { FAULT_SCORE_DELAY_MS: String(SESSION_TIMEOUT_MS * 1.5), FAULT_SLOW_CALLS: '4' },
    });
    const joinsBefore = joins();
    await sleep(30_000);
    const rebalances = joins() - joinsBefore;
    const outcome = await finishFault({
      fault: 'model call > session timeout',
      fleet,
      tracker,
      stream,
      idPrefix,
      injectedAt,
      baselineP99Ms,
      notes: `rebalances seen by the healthy instance in 30 s: ${rebalances}`,
    });
    expectClean(outcome);
    // The slow instance may be evicted once; it must not keep the group rebalancing.
    expect(rebalances, 'rebalances of the healthy duration instance while the other one is slow').toBeLessThanOrEqual(
      2,
    );
  });
});
