/**
 * Faults of the service processes, one after another on one fleet under a steady stream of
 * real rides: SIGKILL a model instance in the middle of a model call, SIGKILL one after its
 * produce and before its commit, SIGKILL the decision service with joins half done, 10 %
 * of the rides published twice, a group scaled 1 → 2 → 1, and a model call slower than the
 * session timeout. Each fault uses its own ride ids and is audited on the topics.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isAlive } from '@fleet/cli/launcher';
import { eventually } from '../helpers.js';
import {
  baselineMs,
  expectClean,
  finishFault,
  finishMs,
  measureBaseline,
  REBALANCE_TIMEOUT_MS,
  SERVICE_EXIT_MS,
  SERVICE_START_MS,
  SERVICE_STOP_MS,
  sleep,
  testTimeoutMs,
  timingEnv,
  WORK_ALLOWANCE_MS,
  type FleetTimings,
} from './lib/fault.js';
import { startProcFleet, type ProcFleet } from './lib/fleet.js';
import { createRideTracker, type RideTracker } from './lib/stream.js';

const TIMINGS: FleetTimings = { sessionTimeoutMs: 6000, joinTimeoutMs: 15_000 };
const FINISH_MS = finishMs(TIMINGS);
/** Rides stream this long before each injection. */
const WARM_UP_MS = 3000;
/** Rides keep streaming this long after a fault, so rides sent after it are measured too. */
const AFTER_FAULT_MS = 5000;
/** After a kill, the stream goes on until the group has dropped the member, and a little more. */
const AFTER_KILL_MS = TIMINGS.sessionTimeoutMs + 4000;
let fleet: ProcFleet;
let tracker: RideTracker;
let baselineP99Ms: number;
/** duration-1 writes here whether it is inside one of its slow model calls. */
let callStateDir: string;

beforeAll(
  async () => {
    callStateDir = mkdtempSync(join(tmpdir(), 'fleet-fault-calls-'));
    fleet = await startProcFleet({ env: timingEnv(TIMINGS) });
    await Promise.all([
      // duration-1 spends ~300 ms in each model call, and says when it is inside one.
      fleet.start('duration', {
        faulty: true,
        env: { FAULT_SCORE_DELAY_MS: '300', FAULT_CALL_STATE_FILE: join(callStateDir, 'duration-1.json') },
      }),
      fleet.start('duration'),
      fleet.start('cost'),
      fleet.start('tip'),
      fleet.start('decision'),
    ]);
    tracker = await createRideTracker(fleet);
    baselineP99Ms = await measureBaseline(tracker, `${fleet.prefix}-baseline`, TIMINGS);
  },
  testTimeoutMs(SERVICE_START_MS, WORK_ALLOWANCE_MS, baselineMs(TIMINGS)),
);

afterAll(
  async () => {
    await tracker?.close();
    await fleet?.close();
    if (callStateDir) rmSync(callStateDir, { recursive: true, force: true });
  },
  testTimeoutMs(SERVICE_STOP_MS, WORK_ALLOWANCE_MS),
);

interface CallState {
  call: number;
  inCall: boolean;
  startedAt: number;
}

/** The state a call last wrote; undefined before the first, or when read half written. */
function readCallState(file: string): CallState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CallState;
  } catch {
    return undefined;
  }
}

/**
 * SIGKILLs `name` inside one of its slow model calls, `intoCallMs` or more into it: waits
 * for a call that long under way, freezes the process (SIGSTOP), and kills it only if the
 * call is still under way (a frozen process cannot end it meanwhile); else lets it go on
 * and waits for the next call. Returns when the kill was sent.
 */
async function killInsideCall(name: string, stateFile: string, intoCallMs: number): Promise<number> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    await eventually(
      () => {
        const state = readCallState(stateFile);
        return state !== undefined && state.inCall && Date.now() - state.startedAt >= intoCallMs;
      },
      `${name} to be ${intoCallMs} ms into a model call`,
      WORK_ALLOWANCE_MS,
      10,
    );
    await fleet.signal(name, 'SIGSTOP');
    if (readCallState(stateFile)?.inCall) {
      const at = Date.now();
      await fleet.signal(name, 'SIGKILL');
      return at;
    }
    await fleet.signal(name, 'SIGCONT');
  }
  throw new Error(`${name}'s model calls ended before each of 5 attempts to stop it inside one`);
}

describe('service process faults under load', () => {
  /** The kill lands this long into a 300 ms model call of duration-1. */
  const INTO_CALL_MS = 100;
  it(
    'SIGKILL of a model instance in the middle of a model call',
    { timeout: testTimeoutMs(WARM_UP_MS, WORK_ALLOWANCE_MS, INTO_CALL_MS, SERVICE_EXIT_MS, AFTER_KILL_MS, FINISH_MS) },
    async () => {
      const idPrefix = `${fleet.prefix}-kill-model`;
      const stream = await tracker.stream(idPrefix);
      await sleep(WARM_UP_MS);
      const stateFile = join(callStateDir, 'duration-1.json');
      const injectedAt = await killInsideCall('duration-1', stateFile, INTO_CALL_MS);
      expect(readCallState(stateFile)?.inCall, 'duration-1 was killed inside a model call').toBe(true);
      await sleep(AFTER_KILL_MS);
      expectClean(
        await finishFault({
          fault: 'SIGKILL model instance mid-call',
          fleet,
          tracker,
          stream,
          idPrefix,
          injectedAt,
          baselineP99Ms,
          timings: TIMINGS,
        }),
      );
    },
  );

  // The victim starts, joins the group (a rebalance), then scores and sends its batches.
  const VICTIM_EXIT_MS = SERVICE_START_MS + REBALANCE_TIMEOUT_MS + WORK_ALLOWANCE_MS;
  it(
    'SIGKILL of a model instance after its produce, before its commit',
    { timeout: testTimeoutMs(WARM_UP_MS, VICTIM_EXIT_MS, AFTER_KILL_MS, FINISH_MS) },
    async () => {
      const idPrefix = `${fleet.prefix}-kill-commit`;
      // The victim writes and syncs this file right before it SIGKILLs itself; its log would
      // not be flushed by then.
      const markerDir = mkdtempSync(join(tmpdir(), 'fleet-fault-'));
      onTestFinished(() => rmSync(markerDir, { recursive: true, force: true }));
      const markerFile = join(markerDir, 'sigkill.json');
      const stream = await tracker.stream(idPrefix);
      await sleep(WARM_UP_MS);
      // Kills itself right after its 3rd acknowledged send of predictions.
      const injectedAt = Date.now();
      const victim = await fleet.start('duration', {
        faulty: true,
        env: { FAULT_KILL_AFTER_PRODUCE: '3', FAULT_MARKER_FILE: markerFile },
        wait: false,
      });
      await eventually(
        () => victim.exitCode !== undefined,
        'the instance to kill itself after a produce',
        VICTIM_EXIT_MS,
      );
      fleet.instances.delete(victim.name);
      expect(existsSync(markerFile), `${victim.name} left no marker: it did not die after a produce`).toBe(true);
      const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as { sends: number; at: number };
      expect(marker.sends, 'acknowledged sends before the SIGKILL').toBeGreaterThanOrEqual(1);
      expect(victim.pid === undefined || !isAlive(victim.pid)).toBe(true);
      await sleep(AFTER_KILL_MS);
      expectClean(
        await finishFault({
          fault: 'SIGKILL model after produce, before commit',
          fleet,
          tracker,
          stream,
          idPrefix,
          injectedAt,
          baselineP99Ms,
          timings: TIMINGS,
        }),
      );
    },
  );

  /** How long tip is held before the kill: every ride of that time has 2 of its 3 predictions. */
  const TIP_HELD_MS = 2500;
  it(
    'SIGKILL of the decision service with joins half done, restarted by its supervisor',
    {
      timeout: testTimeoutMs(WARM_UP_MS, TIP_HELD_MS, SERVICE_EXIT_MS, SERVICE_START_MS, AFTER_FAULT_MS, FINISH_MS),
    },
    async () => {
      const idPrefix = `${fleet.prefix}-kill-decision`;
      const stream = await tracker.stream(idPrefix);
      await sleep(WARM_UP_MS);
      await fleet.signal('tip-1', 'SIGSTOP');
      await sleep(TIP_HELD_MS);
      const injectedAt = Date.now();
      await fleet.signal('decision-1', 'SIGKILL');
      await fleet.signal('tip-1', 'SIGCONT');
      await fleet.start('decision');
      await sleep(AFTER_FAULT_MS);
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
          timings: TIMINGS,
        }),
      );
    },
  );

  const DUPLICATES_STREAM_MS = 12_000;
  it(
    '10 % of ride_started published twice (half at once, half 3 s later)',
    { timeout: testTimeoutMs(DUPLICATES_STREAM_MS, FINISH_MS) },
    async () => {
      const idPrefix = `${fleet.prefix}-dup`;
      const injectedAt = Date.now();
      const stream = await tracker.stream(idPrefix, { duplicateShare: 0.1 });
      await sleep(DUPLICATES_STREAM_MS);
      const outcome = await finishFault({
        fault: '10 % duplicate rides',
        fleet,
        tracker,
        stream,
        idPrefix,
        injectedAt,
        baselineP99Ms,
        timings: TIMINGS,
      });
      expect(stream.duplicatesSent).toBeGreaterThan(stream.sent.size * 0.05);
      expectClean(outcome);
    },
  );

  it(
    'scaling the cost group 1 -> 2 -> 1 under load',
    {
      timeout: testTimeoutMs(WARM_UP_MS, SERVICE_START_MS, AFTER_FAULT_MS, SERVICE_STOP_MS, AFTER_FAULT_MS, FINISH_MS),
    },
    async () => {
      const idPrefix = `${fleet.prefix}-scale`;
      const stream = await tracker.stream(idPrefix);
      await sleep(WARM_UP_MS);
      const injectedAt = Date.now();
      await fleet.start('cost');
      await sleep(AFTER_FAULT_MS);
      await fleet.stop('cost-1');
      await sleep(AFTER_FAULT_MS);
      expectClean(
        await finishFault({
          fault: 'scale cost 1 -> 2 -> 1',
          fleet,
          tracker,
          stream,
          idPrefix,
          injectedAt,
          baselineP99Ms,
          timings: TIMINGS,
        }),
      );
    },
  );

  // Every model call of the slow instance takes 1.5 x the session timeout, for 4 calls. It
  // heartbeats through them, so the one change of membership is its own join.
  const SLOW_CALLS = 4;
  const SLOW_CALL_MS = TIMINGS.sessionTimeoutMs * 1.5;
  const SLOW_CALLS_WITHIN_MS = SLOW_CALLS * SLOW_CALL_MS + WORK_ALLOWANCE_MS;
  const MEMBERSHIP_CHANGES = 1;
  it(
    'a model call slower than the session timeout on one instance: no rebalance storm',
    { timeout: testTimeoutMs(WARM_UP_MS, SERVICE_START_MS, SLOW_CALLS_WITHIN_MS, SLOW_CALL_MS, FINISH_MS) },
    async () => {
      const idPrefix = `${fleet.prefix}-slow`;
      const joins = () => fleet.logLines('duration-2', /joined the consumer group/).length;
      const stream = await tracker.stream(idPrefix);
      await sleep(WARM_UP_MS);
      const joinsBefore = joins();
      const injectedAt = Date.now();
      const slow = await fleet.start('duration', {
        faulty: true,
        env: { FAULT_SCORE_DELAY_MS: String(SLOW_CALL_MS), FAULT_SLOW_CALLS: String(SLOW_CALLS) },
      });
      // Rides keep coming until the slow instance has made all its slow calls and the last ended.
      await eventually(
        () => fleet.logLines(slow.name, /fault: slow model call/).length >= SLOW_CALLS,
        `${slow.name} to make its ${SLOW_CALLS} slow model calls`,
        SLOW_CALLS_WITHIN_MS,
      );
      await sleep(SLOW_CALL_MS);
      const outcome = await finishFault({
        fault: 'model call > session timeout',
        fleet,
        tracker,
        stream,
        idPrefix,
        injectedAt,
        baselineP99Ms,
        timings: TIMINGS,
      });
      // Counted once the group is stable again: every ride decided, every group caught up.
      const rebalances = joins() - joinsBefore;
      expectClean(outcome);
      const what = `rebalances seen by the healthy duration instance (${MEMBERSHIP_CHANGES} change of membership)`;
      expect(rebalances, `${what}: it saw the slow instance join`).toBeGreaterThanOrEqual(1);
      expect(rebalances, `${what}: the slow calls caused none`).toBeLessThanOrEqual(MEMBERSHIP_CHANGES);
    },
  );
});
