/**
 * Faults of the broker under a steady stream: a clean restart (SIGTERM), a crash (SIGKILL)
 * and a 30 s freeze (SIGSTOP, then SIGCONT). They need a broker this run may stop and start:
 * the local stack's own, or the container the global setup started (see
 * test/setup/broker-control.ts). Against any other broker this file fails and says how to
 * run them, unless FLEET_FAULTS_SKIP_BROKER=1 asks to skip them; each is then recorded as
 * skipped, with the reason.
 */
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { BROKER_START_MS, BROKER_STOP_MS, brokerControl, type BrokerControl } from '../setup/broker-control.js';
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
import { recordResult, skippedResult } from './lib/results.js';
import { createRideTracker, type RideTracker } from './lib/stream.js';

const TIMINGS: FleetTimings = { sessionTimeoutMs: 10_000, joinTimeoutMs: 15_000 };
const FINISH_MS = finishMs(TIMINGS);
/** Rides stream this long before each injection. */
const WARM_UP_MS = 3000;
/** Rides keep streaming this long after the broker is back, so rides sent after it are measured too. */
const AFTER_FAULT_MS = 5000;
/** How long the broker stays frozen. */
const FREEZE_MS = 30_000;

/** The broker faults: each one's test name and its row in the results. */
const FAULTS = [
  { test: 'restart of the broker, clean (SIGTERM)', fault: 'broker restart, clean (SIGTERM)' },
  { test: 'restart of the broker after a crash (SIGKILL)', fault: 'broker restart after SIGKILL' },
  {
    test: `the broker frozen for ${FREEZE_MS / 1000} s (SIGSTOP, SIGCONT)`,
    fault: `broker SIGSTOP ${FREEZE_MS / 1000} s`,
  },
] as const;

const spec = inject('brokerControl');
const control = await brokerControl(spec);

if (process.env.FLEET_FAULTS_SKIP_BROKER === '1') {
  const reason = ['FLEET_FAULTS_SKIP_BROKER=1', spec.kind === 'none' ? spec.reason : ''].filter(Boolean).join(': ');
  describe('broker faults under load (skipped on request)', () => {
    for (const { test, fault } of FAULTS) {
      it(test, (context) => {
        recordResult(skippedResult(fault, reason));
        context.skip(reason);
      });
    }
  });
} else if (!control) {
  describe('broker faults under load', () => {
    it('need a broker this run can stop and start', () => {
      throw new Error(
        `The broker faults cannot run: ${spec.kind === 'none' ? spec.reason : 'no broker control'}. ` +
          'Run them against the local stack (unset KAFKA_BROKERS and SCHEMA_REGISTRY_URL; the suite ' +
          'starts the broker, or reuses the one `npx fleet infra up` started from this checkout), or ' +
          'with a Docker engine (the suite then starts its own broker container). To run the other ' +
          'faults without them, set FLEET_FAULTS_SKIP_BROKER=1: they are then recorded as skipped.',
      );
    });
  });
} else {
  describeBrokerFaults(control);
}

function describeBrokerFaults(broker: BrokerControl): void {
  let fleet: ProcFleet;
  let tracker: RideTracker;
  let baselineP99Ms: number;

  describe(`broker faults under load (${broker.kind} broker)`, () => {
    beforeAll(
      async () => {
        fleet = await startProcFleet({ env: timingEnv(TIMINGS) });
        await Promise.all(['duration', 'cost', 'tip', 'decision'].map((s) => fleet.start(s as 'duration')));
        tracker = await createRideTracker(fleet);
        baselineP99Ms = await measureBaseline(tracker, `${fleet.prefix}-baseline`, TIMINGS);
      },
      testTimeoutMs(SERVICE_START_MS, WORK_ALLOWANCE_MS, baselineMs(TIMINGS)),
    );

    afterAll(
      async () => {
        // Whatever happened, leave a running broker behind.
        await broker.resume();
        await broker.start();
        await tracker?.close();
        await fleet?.close();
      },
      testTimeoutMs(BROKER_START_MS, SERVICE_STOP_MS, WORK_ALLOWANCE_MS),
    );

    /** Streams rides, does the fault to the broker, then audits; the outage is how long `fault` took. */
    async function underLoad(name: string, idPrefix: string, fault: () => Promise<void>): Promise<void> {
      const stream = await tracker.stream(idPrefix);
      await sleep(WARM_UP_MS);
      const injectedAt = Date.now();
      await fault();
      const outageMs = Date.now() - injectedAt;
      await sleep(AFTER_FAULT_MS);
      expectClean(
        await finishFault({
          fault: name,
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

    const [clean, crash, freeze] = FAULTS;
    const restartTimeout = testTimeoutMs(WARM_UP_MS, BROKER_STOP_MS, BROKER_START_MS, AFTER_FAULT_MS, FINISH_MS);

    it(clean.test, { timeout: restartTimeout }, () =>
      underLoad(clean.fault, `${fleet.prefix}-sigterm`, async () => {
        await broker.stop();
        await broker.start();
      }),
    );

    it(crash.test, { timeout: restartTimeout }, () =>
      underLoad(crash.fault, `${fleet.prefix}-sigkill`, async () => {
        await broker.kill();
        await broker.start();
      }),
    );

    it(freeze.test, { timeout: testTimeoutMs(WARM_UP_MS, FREEZE_MS, AFTER_FAULT_MS, FINISH_MS) }, () =>
      underLoad(freeze.fault, `${fleet.prefix}-sigstop`, async () => {
        await broker.pause();
        await sleep(FREEZE_MS);
        await broker.resume();
      }),
    );
  });
}
