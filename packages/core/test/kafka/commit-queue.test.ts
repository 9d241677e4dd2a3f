import { describe, expect, it } from 'vitest';
import { createCommitQueue, type PartitionOffset } from '../../src/kafka/commit-queue.js';

/** A coordinator whose OffsetCommits are held until released, recording each request and when it started. */
function heldCommits() {
  const requests: Array<{ at: number; offsets: string[] }> = [];
  const release: Array<() => void> = [];
  const commitNow = async (offsets: PartitionOffset[]) => {
    requests.push({ at: Date.now(), offsets: offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`) });
    await new Promise<void>((resolve) => release.push(resolve));
  };
  return { requests, commitNow, releaseNext: () => release.shift()?.() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const at = (partition: number, offset: number): PartitionOffset => ({
  topic: 'rides',
  partition,
  offset: String(offset),
});

describe('createCommitQueue', () => {
  it('keeps one commit in flight and sends the latest offset of each partition in the next', async () => {
    const coordinator = heldCommits();
    const queue = createCommitQueue(coordinator.commitNow);
    await queue.commit(at(0, 1), false);
    await queue.commit(at(0, 2), false);
    await queue.commit(at(1, 7), false);
    await queue.commit(at(0, 3), false);
    await tick();
    expect(coordinator.requests.map((r) => r.offsets)).toEqual([['rides/0@1']]);
    coordinator.releaseNext();
    await tick();
    expect(coordinator.requests.map((r) => r.offsets)).toEqual([['rides/0@1'], ['rides/0@3', 'rides/1@7']]);
    coordinator.releaseNext();
    await queue.idle();
  });

  it('starts two commits at least the interval apart, and a commit that must land now at once', async () => {
    const coordinator = heldCommits();
    const queue = createCommitQueue(coordinator.commitNow, { minIntervalMs: 1000 });
    await queue.commit(at(0, 1), false);
    coordinator.releaseNext();
    await tick();
    await queue.commit(at(0, 2), false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(coordinator.requests).toHaveLength(1);
    while (coordinator.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(coordinator.requests[1].at - coordinator.requests[0].at).toBeGreaterThanOrEqual(999);
    coordinator.releaseNext();
    await tick();

    await queue.commit(at(0, 3), false);
    const stopping = queue.commit(at(0, 4), true);
    await tick();
    expect(coordinator.requests.map((r) => r.offsets)).toEqual([['rides/0@1'], ['rides/0@2'], ['rides/0@4']]);
    expect(coordinator.requests[2].at - coordinator.requests[1].at).toBeLessThan(1000);
    coordinator.releaseNext();
    await stopping;
  });

  it('sends what waits for the interval at once when the consumer stops', async () => {
    const coordinator = heldCommits();
    const queue = createCommitQueue(coordinator.commitNow, { minIntervalMs: 60_000 });
    await queue.commit(at(0, 1), false);
    coordinator.releaseNext();
    await tick();
    await queue.commit(at(2, 5), false);
    await tick();
    expect(coordinator.requests).toHaveLength(1);
    const stopped = queue.flushNow();
    await tick();
    expect(coordinator.requests.map((r) => r.offsets)).toEqual([['rides/0@1'], ['rides/2@5']]);
    coordinator.releaseNext();
    await stopped;
    await queue.idle();
  });
});
