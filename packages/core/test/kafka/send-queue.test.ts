import { describe, expect, it } from 'vitest';
import { createSendQueue } from '../../src/kafka/send-queue.js';

/** A request that is held until released, recording what each request carried. */
function heldRequests(failWith?: Error) {
  const requests: number[][] = [];
  const release: Array<() => void> = [];
  const sendNow = async (items: number[]) => {
    requests.push(items);
    await new Promise<void>((resolve) => release.push(resolve));
    if (failWith) throw failWith;
  };
  return { requests, sendNow, releaseNext: () => release.shift()?.() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createSendQueue', () => {
  it('sends what arrives in one turn of the event loop in one request', async () => {
    const net = heldRequests();
    const queue = createSendQueue(net.sendNow);
    // As batches of several partitions handled at once send, one after the other, in one turn.
    const sends = [queue.send([1]), Promise.resolve().then(() => queue.send([2, 3]))];
    await tick();
    await tick();
    expect(net.requests).toEqual([[1, 2, 3]]);
    net.releaseNext();
    await Promise.all(sends);
    await queue.idle();
  });

  it('keeps one request in flight and coalesces what arrives meanwhile into the next, in order', async () => {
    const net = heldRequests();
    const queue = createSendQueue(net.sendNow);
    const first = queue.send([1]);
    await tick();
    const second = queue.send([2, 3]);
    await tick();
    const third = queue.send([4]);
    await tick();
    expect(net.requests).toEqual([[1]]);
    net.releaseNext();
    await first;
    await tick();
    expect(net.requests).toEqual([[1], [2, 3, 4]]);
    net.releaseNext();
    await Promise.all([second, third]);
    await queue.idle();
  });

  it('fails every caller of a failed request, and sends the next one after it', async () => {
    const net = heldRequests(new Error('broker down'));
    const queue = createSendQueue(net.sendNow);
    const a = queue.send([1]);
    const b = queue.send([2]);
    await tick();
    const c = queue.send([3]);
    net.releaseNext();
    await expect(a).rejects.toThrow('broker down');
    await expect(b).rejects.toThrow('broker down');
    await tick();
    net.releaseNext();
    await expect(c).rejects.toThrow('broker down');
    expect(net.requests).toEqual([[1, 2], [3]]);
  });

  it('resolves an empty send at once, without a request', async () => {
    const net = heldRequests();
    await createSendQueue(net.sendNow).send([]);
    expect(net.requests).toEqual([]);
  });
});
