import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';

// kafkajs 2.2.4's request queue (one per broker connection) set a timer of a negative delay
// after every answer, whose callback set it again: every connection woke its process every
// millisecond for good (kafkajs#1556, unreleased upstream). The project patches it
// (patches/kafkajs+2.2.4.patch): with nothing pending and no throttle, no timer. These tests
// drive the installed copy's RequestQueue as a connection does; the first fails unpatched.
const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (options: object) => Queue;

interface Entry {
  correlationId: number;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  resolve: (answer: unknown) => void;
  reject: (err: unknown) => void;
}
interface Queue {
  push(request: { entry: Entry; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(answer: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
  throttleCheckTimeoutId: unknown;
}

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const queues: Queue[] = [];

function queue(maxInFlightRequests: number | null = null): { queue: Queue; sent: number[] } {
  const q = new RequestQueue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: silent,
  });
  queues.push(q);
  return { queue: q, sent: [] };
}

/** A request as a connection pushes it (counted in `sent` when sent), and its answer. */
function request(sent: number[], correlationId: number) {
  let entry!: Entry;
  const answered = new Promise<unknown>((resolve, reject) => {
    entry = { correlationId, apiKey: 1, apiName: 'Fetch', apiVersion: 11, resolve, reject };
  });
  return { pushed: { entry, expectResponse: true, sendRequest: () => sent.push(correlationId) }, answered };
}

const answer = (correlationId: number) => ({ correlationId, payload: Buffer.alloc(0), size: 0 });

afterEach(() => {
  for (const q of queues.splice(0)) q.destroy();
});

describe("kafkajs's request queue (patched)", () => {
  it('leaves no timer behind once an answer has come and nothing is pending', async () => {
    const { queue: q, sent } = queue();
    const r = request(sent, 1);
    q.push(r.pushed);
    q.fulfillRequest(answer(1));
    await r.answered;
    expect(sent).toEqual([1]);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('still sends a request that waited for a place in flight, when the one before is answered', async () => {
    const { queue: q, sent } = queue(1);
    const first = request(sent, 1);
    q.push(first.pushed);
    const second = request(sent, 2);
    q.push(second.pushed);
    expect(sent).toEqual([1]);
    q.fulfillRequest(answer(1));
    expect(sent).toEqual([1, 2]);
    q.fulfillRequest(answer(2));
    await Promise.all([first.answered, second.answered]);
    // The check the queued request scheduled (10 ms) runs once and sets no other.
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('still sends a request held by a broker throttle once the throttle is over', async () => {
    const { queue: q, sent } = queue();
    q.maybeThrottle(30);
    const r = request(sent, 1);
    q.push(r.pushed);
    expect(sent).toEqual([]);
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(sent).toEqual([1]);
    q.fulfillRequest(answer(1));
    await r.answered;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(q.throttleCheckTimeoutId).toBeNull();
  });
});
