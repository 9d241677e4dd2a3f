/**
 * The schema registry down while services start: they must wait with a clear log line and
 * backoff, not exit, and proceed once it answers. The "registry" the services see is a TCP
 * proxy in this process that refuses connections until it is switched on, so the real
 * registry, shared with the rest of the run, is never stopped.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../packages/cli/src/procs/spawn.js';
import { stack } from '../helpers.js';
import { expectClean, finishFault, sleep } from './lib/fault.js';
import { startProcFleet, type ProcFleet } from './lib/fleet.js';
import { createRideTracker, type RideTracker } from './lib/stream.js';

const DOWN_MS = 10_000;
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
  fleet = await startProcFleet({ env: { DECISION_JOIN_TIMEOUT_MS: '15000' } });
  tracker = await createRideTracker(fleet.topics);
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  await tracker?.close();
  await fleet?.close();
}, 60_000);

describe('schema registry down at start', () => {
  it('services wait for the registry with backoff and a clear log line, then proceed', async () => {
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
    for (const i of instances) {
      expect(i.exitCode, `${i.name} must not exit while the registry is down`).toBeUndefined();
      expect(
        fleet.logLines(i.name, /schema registry not ready, retrying/).length,
        `${i.name} says why it waits`,
      ).toBeGreaterThan(0);
    }
    await proxyUp(port);
    const outageMs = Date.now() - injectedAt;
    await fleet.waitAllReady(120_000);
    await sleep(3000);
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
      }),
    );
  });
});
