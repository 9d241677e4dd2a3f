/**
 * Faults of the broker under a steady stream: a clean restart (SIGTERM), a crash (SIGKILL)
 * and a 30 s freeze (SIGSTOP, then SIGCONT). The broker is the local stack's (the fault
 * suite's own one, see vitest.faults.config.ts); with a broker this run did not start
 * (environment or containers), these faults are skipped.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { inject } from 'vitest';
import { ensureStack, stackStatus } from '@fleet/infra';
import { isAlive } from '../../packages/cli/src/procs/spawn.js';
import { eventually } from '../helpers.js';
import { expectClean, finishFault, measureBaseline, sleep } from './lib/fault.js';
import { startProcFleet, type ProcFleet } from './lib/fleet.js';
import { createRideTracker, type RideTracker } from './lib/stream.js';

const controllable = inject('stack').source === 'local' && (await stackStatus()).kafka.pid !== undefined;
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
  beforeAll(async () => {
    fleet = await startProcFleet({
      env: { KAFKA_SESSION_TIMEOUT_MS: '10000', DECISION_JOIN_TIMEOUT_MS: '15000' },
    });
    await Promise.all(['duration', 'cost', 'tip', 'decision'].map((s) => fleet.start(s as 'duration')));
    tracker = await createRideTracker(fleet.topics);
    baselineP99Ms = await measureBaseline(tracker, `${fleet.prefix}-baseline`);
  }, 180_000);

  afterAll(async () => {
    // Whatever happened, leave a running broker behind.
    if (controllable) {
      const pid = (await stackStatus()).kafka.pid;
      if (pid !== undefined) process.kill(pid, 'SIGCONT');
      await restartBroker();
    }
    await tracker?.close();
    await fleet?.close();
  }, 120_000);

  async function restartCase(fault: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const idPrefix = `${fleet.prefix}-${signal.toLowerCase()}`;
    const stream = await tracker.stream(idPrefix);
    await sleep(3000);
    const pid = await brokerPid();
    const injectedAt = Date.now();
    process.kill(pid, signal);
    await eventually(() => !isAlive(pid), 'the broker to exit', 60_000);
    await restartBroker();
    const outageMs = Date.now() - injectedAt;
    await sleep(5000);
    expectClean(await finishFault({ fault, fleet, tracker, stream, idPrefix, injectedAt, baselineP99Ms, outageMs }));
  }

  it('restart of the broker, clean (SIGTERM)', () => restartCase('broker restart, clean (SIGTERM)', 'SIGTERM'));

  it('restart of the broker after a crash (SIGKILL)', () => restartCase('broker restart after SIGKILL', 'SIGKILL'));

  it('the broker frozen for 30 s (SIGSTOP, SIGCONT)', async () => {
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
      }),
    );
  });
});
