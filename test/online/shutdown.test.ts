import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@fleet/contract';
import { launchService } from '@fleet/cli/launcher';
import { eventually } from '../helpers.js';
import { SERVICE_START_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';
import { post, testRides, type Answer } from './helpers.js';

/** The service's own bound on a graceful stop, set for this test. */
const SHUTDOWN_GRACE_MS = 20_000;

describe('SIGTERM to an online service process', () => {
  it(
    'stops accepting, answers every request in flight, and exits 0',
    { timeout: testTimeoutMs(SERVICE_START_MS, SHUTDOWN_GRACE_MS + WORK_ALLOWANCE_MS, WORK_ALLOWANCE_MS) },
    async () => {
      const logFile = join(REPO_ROOT, '.fleet', 'logs', `test-online-sigterm-${process.pid}.log`);
      const proc = await launchService('online', {
        env: { ONLINE_HOST: '127.0.0.1', SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS), LOG_LEVEL: 'info' },
        logFile,
      });
      try {
        await proc.waitReady(SERVICE_START_MS);
        const url = `http://127.0.0.1:${proc.port}/v1/quote`;
        const rides = await testRides(200, 'drain');
        let signalled = false;
        let answeredAfterSignal = 0;
        // 40 requests of 200 rides: the service works through them for a while.
        const pending = Array.from({ length: 40 }, () =>
          post(url, { rides }).then((answer) => {
            if (signalled && answer.status === 200) answeredAfterSignal++;
            return answer;
          }),
        );
        await Promise.race(pending);
        signalled = true;
        process.kill(proc.pid, 'SIGTERM');
        const settled = await Promise.allSettled(pending);
        const failed = settled.filter((s) => s.status === 'rejected');
        expect(failed, 'requests that got no HTTP answer').toEqual([]);
        const answers = settled.map((s) => (s as PromiseFulfilledResult<Answer>).value);
        expect(answers.filter((a) => a.status !== 200 && a.status !== 503).map((a) => a.status)).toEqual([]);
        for (const a of answers.filter((x) => x.status === 200)) expect(a.body.quotes).toHaveLength(rides.length);
        // Requests already in flight when the signal came were answered, not dropped.
        expect(answeredAfterSignal).toBeGreaterThan(0);
        await eventually(() => proc.exit() !== undefined, 'the process to exit', SHUTDOWN_GRACE_MS + WORK_ALLOWANCE_MS);
        expect(proc.exit()).toEqual({ code: 0, signal: null });
        expect(proc.logLines(/stopped cleanly/)).toHaveLength(1);
        await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
      } finally {
        await proc.stop(WORK_ALLOWANCE_MS);
      }
    },
  );

  it(
    'exits 0 within its grace under traffic that never pauses',
    { timeout: testTimeoutMs(SERVICE_START_MS, SHUTDOWN_GRACE_MS + WORK_ALLOWANCE_MS, WORK_ALLOWANCE_MS) },
    async () => {
      const logFile = join(REPO_ROOT, '.fleet', 'logs', `test-online-sigterm-busy-${process.pid}.log`);
      const proc = await launchService('online', {
        env: { ONLINE_HOST: '127.0.0.1', SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS), LOG_LEVEL: 'info' },
        logFile,
      });
      try {
        await proc.waitReady(SERVICE_START_MS);
        const base = `http://127.0.0.1:${proc.port}`;
        const rides = await testRides(1, 'busy');
        // A probe and a client that go on until the server is gone: no quiet moment comes.
        let stop = false;
        const keepSending = async (send: () => Promise<unknown>) => {
          while (!stop) {
            await send().catch(() => (stop = proc.exit() !== undefined));
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        };
        const senders = [
          keepSending(() => fetch(`${base}/v2/health/live`).then((r) => r.text())),
          keepSending(() => post(`${base}/v1/quote`, { rides })),
        ];
        await new Promise((resolve) => setTimeout(resolve, 500));
        process.kill(proc.pid, 'SIGTERM');
        await eventually(() => proc.exit() !== undefined, 'the process to exit', SHUTDOWN_GRACE_MS + WORK_ALLOWANCE_MS);
        stop = true;
        await Promise.all(senders);
        // Forced out at the end of its grace, it would exit 1 and log no clean stop.
        expect(proc.exit()).toEqual({ code: 0, signal: null });
        expect(proc.logLines(/stopped cleanly/)).toHaveLength(1);
      } finally {
        await proc.stop(WORK_ALLOWANCE_MS);
      }
    },
  );
});
