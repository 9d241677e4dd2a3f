/**
 * Faults of the broker under a steady stream: a clean restart (SIGTERM), a crash (SIGKILL)
 * and a 30 s freeze (SIGSTOP, then SIGCONT). The broker is the local stack's (the fault
 * suite's own one, see vitest.faults.config.ts); with a broker this run did not start
 * (environment or containers), these faults are skipped.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { inject } from 'vitest';
import { ensureStack, stackStatus } from '@fleet/infra';
import { isAlive } from '@fleet/cli/launcher';
import { eventually } from '../helpers.js';
import {
  baselineMs,
  expectClean,
  finishFault,
  finishMs,
  measureBaseline,
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

const controllable = inject('stack').source === 'local' && (await stackStatus()).kafka.pid !== undefined;
const TIMINGS: FleetTimings = { sessionTimeoutMs: 10_000, joinTimeoutMs: 15_000 };
/** A clean stop may take the grace the local stack gives its broker; a start, its wait for the broker. */
const BROKER_STOP_MS = 30_000;
const BROKER_START_MS = 120_000;
const RESTART_TIMEOUT_MS = testTimeoutMs(3000, BROKER_STOP_MS, BROKER_START_MS, 5000, finishMs(TIMINGS));
let fleet: ProcFleet;
let tracker: RideTracker;
let baselineP99Ms: number;

async function brokerPid(): Promise<number> {
  const pid = (await stackStatus()).kafka.pid;
  if (pid === undefined) throw new Error('the local broker is not running');
  return pid;
}

/** Starts the broker again (reusing its data) and resolves when it answers. */
async function restartBroker(): Promise<void> {
  await ensureStack({ onProgress: (line) => console.log(`[infra] ${line}`) });
}

describe.skipIf(!controllable)('broker faults under load', () => {
  beforeAll(
    async () => {
      fleet = await startProcFleet({ env: timingEnv(TIMINGS) });
      await Promise.all(['duration', 'cost', 'tip', 'decision'].map((s) => fleet.start(s as 'duration')));
      tracker = await createRideTracker(fleet.topics);
      baselineP99Ms = await measureBaseline(tracker, `${fleet.prefix}-baseline`, TIMINGS);
    },
    testTimeoutMs(SERVICE_START_MS, WORK_ALLOWANCE_MS, baselineMs(TIMINGS)),
  );

  afterAll(
    async () => {
      // Whatever happened, leave a running broker behind.
      if (controllable) {
        const pid = (await stackStatus()).kafka.pid;
        if (pid !== undefined) process.kill(pid, 'SIGCONT');
        await restartBroker();
      }
      await tracker?.close();
      await fleet?.close();
    },
    testTimeoutMs(BROKER_START_MS, SERVICE_STOP_MS, WORK_ALLOWANCE_MS),
  );

  async function restartCase(fault: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const idPrefix = `${fleet.prefix}-${signal.toLowerCase()}`;
    const stream = await tracker.stream(idPrefix);
    await sleep(3000);
    const pid = await brokerPid();
    const injectedAt = Date.now();
    process.kill(pid, signal);
    await eventually(() => !isAlive(pid), 'the broker to exit', BROKER_STOP_MS);
    await restartBroker();
    const outageMs = Date.now() - injectedAt;
    await sleep(5000);
    expectClean(
      await finishFault({
        fault,
        fleet,
        tracker,
        stream,
        idPrefix,
        injectedAt,
        baselineP99Ms,
        outageMs,
        timings: TIMINGS,
      }),
    );
  }

  it('restart of the broker, clean (SIGTERM)', { timeout: RESTART_TIMEOUT_MS }, () =>
    restartCase('broker restart, clean (SIGTERM)', 'SIGTERM'),
  );

  it('restart of the broker after a crash (SIGKILL)', { timeout: RESTART_TIMEOUT_MS }, () =>
    restartCase('broker restart after SIGKILL', 'SIGKILL'),
  );

  it(
    'the broker frozen for 30 s (SIGSTOP, SIGCONT)',
    { timeout: testTimeoutMs(3000, 30_000, 5000, finishMs(TIMINGS)) },
    async () => {
      const idPrefix = `${fleet.prefix}-sigstop`;
      const stream = await tracker.stream(idPrefix);
      await sleep(3000);
      const pid = await brokerPid();
      const injectedAt = Date.now();
      process.kill(pid, 'SIGSTOP');
      await sleep(30_000);
      process.kill(pid, 'SIGCONT');
      const outageMs = Date.now() - injectedAt;
      await sleep(5000);
      expectClean(
        await finishFault({
          fault: 'broker SIGSTOP 30 s',
          fleet,
          tracker,
          stream,
          idPrefix,
          injectedAt,
          baselineP99Ms,
          outageMs,
          timings: TIMINGS,
        }),
      );
    },
  );
});
