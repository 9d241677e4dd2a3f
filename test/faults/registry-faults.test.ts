/**
 * The schema registry down while services start: they must wait with a clear log line and
 * backoff, not exit, and proceed once it answers. The "registry" the services see is a TCP
 * proxy in this process that refuses connections until it is switched on, so the real
 * registry, shared with the rest of the run, is never stopped. It stays down at least 10 s,
 * and until every service has said it waits for it, however long they take to start.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@fleet/cli/launcher';
import { eventually, stack } from '../helpers.js';
import {
  expectClean,
  finishFault,
  finishMs,
  REBALANCE_TIMEOUT_MS,
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

const TIMINGS: FleetTimings = { sessionTimeoutMs: 10_000, joinTimeoutMs: 15_000 };
/** The registry is down at least this long. */
const DOWN_MS = 10_000;
/**
 * The longest wait between two attempts of a service's registry retry (`retry`'s default
 * `maxDelayMs`): once the registry answers, every service tries again within it.
 */
const MAX_RETRY_DELAY_MS = 30_000;
/** After the registry is back: a retry, then each service joins its group and is ready. */
const READY_AFTER_MS = MAX_RETRY_DELAY_MS + REBALANCE_TIMEOUT_MS + WORK_ALLOWANCE_MS;
/** Rides keep streaming this long once every service is ready. */
const AFTER_FAULT_MS = 3000;
let fleet: ProcFleet;
let tracker: RideTracker;
let proxy: Server | undefined;
const sockets = new Set<Socket>();

/** Starts forwarding `port` to the real registry. */
async function proxyUp(port: number): Promise<void> {
  const target = new URL(stack().registryUrl);
  proxy = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => proxy!.listen(port, '127.0.0.1', resolve));
}

beforeAll(async () => {
  fleet = await startProcFleet({ env: timingEnv(TIMINGS) });
  tracker = await createRideTracker(fleet);
}, testTimeoutMs(WORK_ALLOWANCE_MS));

afterAll(
  async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    await tracker?.close();
    await fleet?.close();
  },
  testTimeoutMs(SERVICE_STOP_MS, WORK_ALLOWANCE_MS),
);

describe('schema registry down at start', () => {
  const timeout = testTimeoutMs(DOWN_MS, SERVICE_START_MS, READY_AFTER_MS, AFTER_FAULT_MS, finishMs(TIMINGS));
  it('services wait for the registry with backoff and a clear log line, then proceed', { timeout }, async () => {
    const port = await freePort();
    const target = new URL(stack().registryUrl);
    const viaProxy = { SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}${target.pathname}` };
    const idPrefix = `${fleet.prefix}-registry`;
    const injectedAt = Date.now();
    const started = (['duration', 'cost', 'tip', 'decision'] as const).map((s) =>
      fleet.start(s, { env: viaProxy, wait: false }),
    );
    const instances = await Promise.all(started);
    // Rides are published (through the real registry) while the services cannot start.
    const stream = await tracker.stream(idPrefix);
    await sleep(DOWN_MS);
    // A service reaches the registry once its process has started: each must say why it waits.
    const waiting = (name: string) => fleet.logLines(name, /schema registry not ready, retrying/).length > 0;
    await eventually(
      () => instances.every((i) => i.exitCode !== undefined || waiting(i.name)),
      'every service to log that it waits for the registry',
      SERVICE_START_MS,
    ).catch(() => undefined); // what is missing is named below
    for (const i of instances) {
      expect(i.exitCode, `${i.name} must not exit while the registry is down`).toBeUndefined();
      expect(waiting(i.name), `${i.name} says why it waits`).toBe(true);
    }
    await proxyUp(port);
    const outageMs = Date.now() - injectedAt;
    await fleet.waitAllReady(READY_AFTER_MS);
    await sleep(AFTER_FAULT_MS);
    expectClean(
      await finishFault({
        fault: 'registry down at start (10 s)',
        fleet,
        tracker,
        stream,
        idPrefix,
        injectedAt,
        baselineP99Ms: 0,
        outageMs,
        timings: TIMINGS,
      }),
    );
  });
});
