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

  /** A coordinator that refuses the commits it is told to, as the library reports it: a rejection. */
  function refusingCommits() {
    const requests: string[][] = [];
    const outcomes: Array<'ok' | 'refused'> = [];
    const commitNow = async (offsets: PartitionOffset[]) => {
      requests.push(offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`));
      if (outcomes.shift() === 'refused') throw new Error('REBALANCE_IN_PROGRESS');
    };
    return { requests, outcomes, commitNow };
  }

  // Regression: a refused commit was dropped, so a graceful stop's flush did not send it.
  it('puts the offsets of a refused commit back, for the stop to send', async () => {
    const coordinator = refusingCommits();
    coordinator.outcomes.push('refused');
    const queue = createCommitQueue(coordinator.commitNow);
    await queue.commit(at(0, 4), false);
    await queue.idle();
    await queue.flushNow();
    expect(coordinator.requests).toEqual([['rides/0@4'], ['rides/0@4']]);
  });

  it('does not put back an offset when a newer one of its partition is pending', async () => {
    const coordinator = heldCommits();
    let refuse = true;
    const queue = createCommitQueue(async (offsets) => {
      await coordinator.commitNow(offsets);
      if (refuse) throw new Error('REBALANCE_IN_PROGRESS');
    });
    await queue.commit(at(0, 4), false);
    await queue.commit(at(0, 6), false);
    await queue.commit(at(1, 2), false);
    await tick();
    coordinator.releaseNext();
    await tick();
    refuse = false;
    // Refused once: sent again with what was handed in meanwhile, the latest of each partition.
    expect(coordinator.requests.map((r) => r.offsets)).toEqual([['rides/0@4'], ['rides/0@6', 'rides/1@2']]);
    coordinator.releaseNext();
    await queue.idle();
  });

  // Regression: offsets pending for partitions a join took away were sent after it, over
  // their new owner's commits.
  it('drops the offsets of partitions a join took away, and sends the rest once joined', async () => {
    const coordinator = refusingCommits();
    coordinator.outcomes.push('ok', 'refused', 'refused');
    const queue = createCommitQueue(coordinator.commitNow);
    for (const offset of [at(0, 4), at(1, 9), at(2, 3)]) void queue.commit(offset, false);
    await queue.idle();
    expect(coordinator.requests).toEqual([['rides/0@4'], ['rides/1@9', 'rides/2@3']]);
    queue.retain({ rides: [2] });
    expect(coordinator.requests.slice(2)).toEqual([['rides/2@3']]);
    // Refused again, and in flight when a join took its partition away: not put back.
    queue.retain({ rides: [] });
    await queue.idle();
    await queue.flushNow();
    expect(coordinator.requests).toHaveLength(3);
  });

  it('sends no empty commit when a join took away every partition waiting for the interval', async () => {
    const coordinator = heldCommits();
    const queue = createCommitQueue(coordinator.commitNow, { minIntervalMs: 60_000 });
    await queue.commit(at(0, 1), false);
    await tick();
    coordinator.releaseNext();
    await tick();
    await queue.commit(at(0, 2), false); // waits for the interval
    queue.retain({ rides: [] });
    await queue.flushNow();
    await queue.idle();
    expect(coordinator.requests.map((r) => r.offsets)).toEqual([['rides/0@1']]);
  });
});
