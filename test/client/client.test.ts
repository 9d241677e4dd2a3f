import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetClient, type FleetClient } from '@fleet/client';
import { isFleetError, type FleetError, type RideStarted } from '@fleet/contract';
import type { AdminClient } from '@fleet/core';
import { randomName, testKafka, testLogger, testRegistry } from '../helpers.js';
import { holdCalls, startOnline, testRides, type StartedOnline } from '../online/helpers.js';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

/** The FleetError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<FleetError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isFleetError(err)) throw new Error(`expected a FleetError, got ${String(err)}`);
  return err;
}

describe('@fleet/client (real broker, registry and online service)', () => {
  let admin: AdminClient;
  let topics: { rides: string; decisions: string };
  let online: StartedOnline;
  let client: FleetClient;
  let rides: RideStarted[];

  beforeAll(async () => {
    admin = await testKafka('client-test').admin();
    topics = { rides: randomName('client.rides'), decisions: randomName('client.decisions') };
    await admin.createTopics(Object.values(topics).map((topic) => ({ topic, partitions: 1 })));
    online = await startOnline();
    client = createFleetClient({
      kafka: testKafka('client'),
      registry: testRegistry(),
      logger: testLogger('client'),
      env: { TOPIC_RIDES: topics.rides, TOPIC_DECISIONS: topics.decisions, ONLINE_URL: online.url },
    });
    rides = await testRides(3, randomName('client'));
  });
  afterAll(async () => {
    await client?.close();
    await online?.stop();
    await admin?.deleteTopics(Object.values(topics)).catch(() => undefined);
    await admin?.disconnect();
  });

  const endOffset = async () => (await admin.fetchEndOffsets(topics.rides)).reduce((n, p) => n + Number(p.offset), 0);

  it('connects ahead of the first publish (schema id, topic metadata) without sending anything', async () => {
    await client.connect();
    await client.connect();
    expect(await endOffset()).toBe(0);
  });

  it('publishes valid rides, and refuses a ride that breaks the contract naming it and its field, sending nothing', async () => {
    await client.publish(rides);
    expect(await endOffset()).toBe(3);
    const err = await failure(client.publish([rides[0], { ...rides[1], passengers: 14 }]));
    expect(err.code).toBe('FLEET_VALIDATION_FAILED');
    expect(err.message).toBe(`ride 1 (${rides[1].ride_id}) breaks the contract: passengers 14 is outside 0-9`);
    expect(err.context).toMatchObject({ field: 'passengers', ride_id: rides[1].ride_id, index: 1 });
    expect(await endOffset()).toBe(3);
  });

  it(
    'rejects awaitDecision with FLEET_DECISION_TIMEOUT when no decision comes',
    { timeout: testTimeoutMs(REBALANCE_TIMEOUT_MS) },
    async () => {
      // Nothing decides on these topics: the wait runs out (the call returns once the listener joined).
      const err = await failure(client.awaitDecision('never-decided', { timeoutMs: 1000 }));
      expect(err.code).toBe('FLEET_DECISION_TIMEOUT');
      expect(err.retriable).toBe(true);
      expect(err.context).toMatchObject({ ride_id: 'never-decided', timeoutMs: 1000 });
    },
  );

  it('quotes over HTTP, and turns the service’s 400 into FLEET_VALIDATION_FAILED naming the field', async () => {
    const quote = await client.quote(rides[0]);
    expect(quote.ride_id).toBe(rides[0].ride_id);
    expect((await client.quote(rides)).map((q) => q.ride_id)).toEqual(rides.map((r) => r.ride_id));
    const err = await failure(client.quote({ ...rides[0], estimated_distance_miles: -3 }));
    expect(err.code).toBe('FLEET_VALIDATION_FAILED');
    expect(err.message).toMatch(/answered 400: estimated_distance_miles is negative \(-3\)/);
    expect(err.context).toMatchObject({ status: 400, field: 'estimated_distance_miles' });
  });

  it('says FLEET_ONLINE_UNAVAILABLE when the online service cannot be reached', async () => {
    const nowhere = createFleetClient({ logger: testLogger('client'), env: { ONLINE_URL: 'http://127.0.0.1:9' } });
    const err = await failure(nowhere.quote(rides[0]));
    expect(err.code).toBe('FLEET_ONLINE_UNAVAILABLE');
    expect(err.retriable).toBe(true);
    await nowhere.close();
  });

  it(
    'says FLEET_OVERLOADED with the Retry-After of a 503, and rejects waits pending at close with FLEET_CLIENT_CLOSED',
    { timeout: testTimeoutMs(WORK_ALLOWANCE_MS) },
    async () => {
      const held = holdCalls();
      const busy = await startOnline({ ONLINE_MAX_IN_FLIGHT: '1', ONLINE_RETRY_AFTER_SEC: '3' }, { run: held.run });
      const other = createFleetClient({
        kafka: testKafka('client-2'),
        registry: testRegistry(),
        logger: testLogger('client'),
        env: { TOPIC_RIDES: topics.rides, TOPIC_DECISIONS: topics.decisions, ONLINE_URL: busy.url },
      });
      try {
        const first = other.quote(rides[0]);
        await held.made(1);
        const err = await failure(other.quote(rides[1]));
        expect(err.code).toBe('FLEET_OVERLOADED');
        expect(err.context).toMatchObject({ status: 503, retryAfterSec: 3 });
        held.release();
        expect((await first).ride_id).toBe(rides[0].ride_id);
        const waiting = other.awaitDecision('pending-at-close', { timeoutMs: 10 * REBALANCE_TIMEOUT_MS });
        const closed = failure(waiting);
        await other.close();
        expect((await closed).code).toBe('FLEET_CLIENT_CLOSED');
      } finally {
        await other.close();
        await busy.stop();
      }
    },
  );
});

describe('@fleet/client against answers that do not come from the online service (a proxy, a broken connection)', () => {
  /** Serves each POST with `answer` on a free port of 127.0.0.1. */
  async function standIn(answer: (res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  const quoteFrom = async (answer: (res: ServerResponse) => void, quoteTimeoutMs = 10_000) => {
    const server = await standIn(answer);
    const client = createFleetClient({ logger: testLogger('client'), env: { ONLINE_URL: server.url }, quoteTimeoutMs });
    try {
      return await failure(client.quote((await testRides(1, randomName('proxy')))[0]));
    } finally {
      await client.close();
      await server.close();
    }
  };

  it('a 429 with Retry-After is FLEET_OVERLOADED, retriable', async () => {
    const err = await quoteFrom((res) => res.writeHead(429, { 'retry-after': '2' }).end('Too Many Requests'));
    expect(err.code).toBe('FLEET_OVERLOADED');
    expect(err.retriable).toBe(true);
    expect(err.context).toMatchObject({ status: 429, retryAfterSec: 2 });
  });

  it('a 502 page or a 408 is FLEET_ONLINE_UNAVAILABLE, retriable, quoting the body', async () => {
    const bad = await quoteFrom((res) =>
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'),
    );
    expect(bad.code).toBe('FLEET_ONLINE_UNAVAILABLE');
    expect(bad.retriable).toBe(true);
    expect(bad.message).toMatch(/answered 502: <h1>Bad Gateway<\/h1>/);
    const late = await quoteFrom((res) => res.writeHead(408).end());
    expect(late.code).toBe('FLEET_ONLINE_UNAVAILABLE');
  });

  it('an error answer whose JSON is null is still a FleetError', async () => {
    const err = await quoteFrom((res) => res.writeHead(400, { 'content-type': 'application/json' }).end('null'));
    expect(err.code).toBe('FLEET_INPUT_INVALID');
    expect(err.context).toMatchObject({ status: 400 });
  });

  it('a body that stops coming is FLEET_ONLINE_UNAVAILABLE after the quote timeout, as is a 200 without JSON', async () => {
    const stalled = await quoteFrom((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"ride_id": ');
    }, 300);
    expect(stalled.code).toBe('FLEET_ONLINE_UNAVAILABLE');
    expect(stalled.message).toMatch(/no answer within 300 ms/);
    const notJson = await quoteFrom((res) => res.writeHead(200).end('OK'));
    expect(notJson.code).toBe('FLEET_ONLINE_UNAVAILABLE');
    expect(notJson.message).toMatch(/answered 200 with no JSON quote/);
  });
});
