import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MultipleErrors, NetworkError, ProtocolError } from '@platformatic/kafka';
import type * as Library from '@platformatic/kafka';
import { FleetError } from '@fleet/contract';
import { connectPlatformaticConsumer } from '../../src/kafka/platformatic-consumer.js';
import type { BatchControl, ConsumerOptions, RecordBatch } from '../../src/kafka/types.js';
import { createLogger } from '../../src/logger.js';
import { FakeConsumer } from './fake-platformatic.js';

vi.mock('@platformatic/kafka', async (importOriginal) => ({
  ...(await importOriginal<typeof Library>()),
  Consumer: (await import('./fake-platformatic.js')).FakeConsumer,
}));

type Base = Parameters<typeof connectPlatformaticConsumer>[0];
const base = { clientId: 'test', bootstrapBrokers: ['127.0.0.1:1'] } as unknown as Base;
const logger = createLogger({ service: 'test', level: 'silent' });

/** Lets records handed over, batches run and their commits go (the consumer pumps on setImmediate). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

const brokerAway = () => new MultipleErrors('Fetch failed 3 times.', [new NetworkError('ECONNREFUSED')]);
const rebalancing = () => new MultipleErrors('Commit failed.', [new ProtocolError('REBALANCE_IN_PROGRESS')]);

interface Handled {
  partition: number;
  offsets: string[];
}

/** A consumer on a fake library, running a handler that records each batch and may fail it. */
async function running(
  options: Partial<ConsumerOptions> & {
    assignment?: Record<string, number[]>;
    retries?: number;
    fail?: (batch: RecordBatch) => boolean;
  } = {},
) {
  const crashes: Array<{ err: unknown; restarting: boolean }> = [];
  const handled: Handled[] = [];
  const client = await connectPlatformaticConsumer(
    base,
    { groupId: 'g', onCrash: (err, restarting) => crashes.push({ err, restarting }), ...options },
    logger,
    options.retries ?? 8,
  );
  const consumer = FakeConsumer.last();
  consumer.firstAssignment = options.assignment ?? { rides: [0, 1] };
  await client.run(['rides'], async (batch: RecordBatch, control: BatchControl) => {
    handled.push({ partition: batch.partition, offsets: batch.records.map((r) => r.offset) });
    if (options.fail?.(batch)) throw new FleetError('FLEET_KAFKA_UNAVAILABLE', 'the send failed');
    if (!control.isStale()) await control.commit(batch.records[batch.records.length - 1].offset);
  });
  return { client, consumer, crashes, handled, stream: () => consumer.streams[consumer.streams.length - 1] };
}

const committed = (consumer: FakeConsumer): string[][] =>
  consumer.commits.map((c) => c.map((o) => `${o.partition}@${o.offset}`));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the platformatic consumer when its stream fails', () => {
  // Regression: a failed reopen returned at the guard of the failure handler; the consumer
  // never fetched again, stayed 'running' and reported nothing (a silent zombie).
  it('retries a failed reopen with backoff, then crashes for good past its retries', async () => {
    const { consumer, crashes, stream } = await running({ retries: 2 });
    consumer.consumeOutcomes.push(brokerAway(), brokerAway(), brokerAway());
    stream().fail(brokerAway());
    await vi.advanceTimersByTimeAsync(120_000);
    expect(consumer.consumeCalls).toBe(3);
    expect(crashes.map((c) => c.restarting)).toEqual([true, true, false]);
  });

  it('goes on with a new stream once a reopen works, and a fetch answered restores its retries', async () => {
    const { consumer, crashes, handled, stream } = await running({ retries: 2 });
    consumer.consumeOutcomes.push(brokerAway());
    stream().fail(brokerAway());
    await vi.advanceTimersByTimeAsync(120_000);
    expect(consumer.streams).toHaveLength(2);
    stream().deliver('rides', 0, [0, 1]);
    await settle();
    expect(handled).toEqual([{ partition: 0, offsets: ['0', '1'] }]);
    // The library publishes each fetch answer on its diagnostics channel.
    const { consumerFetchesChannel } = await import('@platformatic/kafka');
    consumerFetchesChannel.asyncStart.publish({ client: consumer, result: { responses: [] } });
    consumer.consumeOutcomes.push(brokerAway());
    stream().fail(brokerAway());
    await vi.advanceTimersByTimeAsync(120_000);
    expect(consumer.streams).toHaveLength(3);
    expect(crashes.every((c) => c.restarting)).toBe(true);
  });

  it('crashes for good at once when a reopen is refused', async () => {
    const { consumer, crashes, stream } = await running();
    consumer.consumeOutcomes.push(
      new MultipleErrors('Metadata failed.', [new ProtocolError('TOPIC_AUTHORIZATION_FAILED')]),
    );
    stream().fail(brokerAway());
    await vi.advanceTimersByTimeAsync(120_000);
    expect(consumer.consumeCalls).toBe(2);
    expect(crashes.map((c) => c.restarting)).toEqual([true, false]);
  });
});

describe('the platformatic consumer across a rebalance', () => {
  // Regression: a fetch answered after the join that took a partition away re-created its
  // buffer, and the batch was handled by a member that no longer owns the partition.
  it('does not handle records of a partition the join took away', async () => {
    const { consumer, handled, stream } = await running();
    stream().deliver('rides', 0, [0, 1]);
    await settle();
    consumer.join({ rides: [1] });
    stream().deliver('rides', 0, [2, 3]);
    stream().deliver('rides', 1, [0]);
    await settle();
    expect(handled).toEqual([
      { partition: 0, offsets: ['0', '1'] },
      { partition: 1, offsets: ['0'] },
    ]);
  });

  // Regression: a kept partition read again from its committed offset after the join went
  // behind its buffered records, and was handled a second time.
  it('does not handle again what a kept partition is read again from', async () => {
    const { consumer, handled, stream } = await running();
    stream().deliver('rides', 0, [0, 1]);
    await settle();
    consumer.join({ rides: [0, 1] });
    stream().deliver('rides', 0, [0, 1, 2, 3]);
    await settle();
    expect(handled).toEqual([
      { partition: 0, offsets: ['0', '1'] },
      { partition: 0, offsets: ['2', '3'] },
    ]);
  });

  // Regression: offsets pending when a join took their partition away were sent after it.
  it('does not commit for a partition the join took away', async () => {
    const { client, consumer, stream } = await running({ commitIntervalMs: 60_000 });
    stream().deliver('rides', 0, [0]);
    await settle();
    stream().deliver('rides', 1, [4]);
    stream().deliver('rides', 0, [1]);
    await settle();
    consumer.join({ rides: [1] });
    await client.stop();
    expect(committed(consumer)).toEqual([['0@1'], ['1@5']]);
  });

  // A member back under a new id (its session expired) may have been replaced meanwhile: what
  // it had not committed yet is another member's to commit, which it must not move backward.
  it('drops what it held when it comes back under a new member id', async () => {
    const { client, consumer, handled, stream } = await running({ commitIntervalMs: 60_000 });
    stream().deliver('rides', 0, [0]);
    await settle();
    stream().deliver('rides', 0, [1, 2]);
    await settle();
    consumer.join({ rides: [0, 1] }, 'member-2');
    await client.stop();
    expect(handled.map((h) => h.offsets)).toEqual([['0'], ['1', '2']]);
    // 0@3, pending when the session expired, is not sent: the group's offset is another's now.
    expect(committed(consumer)).toEqual([['0@1']]);
  });

  // Regression: a refused commit was dropped; the stop's flush did not send it again.
  it('sends a refused commit again when it stops', async () => {
    const { client, consumer, stream } = await running();
    consumer.commitOutcomes.push(rebalancing());
    stream().deliver('rides', 0, [0, 1]);
    await settle();
    await client.stop();
    expect(committed(consumer)).toEqual([['0@2'], ['0@2']]);
  });
});

describe('the platformatic consumer retrying failed batches', () => {
  /** Advances the clock in small steps until `partition` was handed out `n` times. */
  async function untilHandled(handled: Handled[], partition: number, n: number): Promise<void> {
    for (let i = 0; i < 1000 && handled.filter((h) => h.partition === partition).length < n; i++) {
      await vi.advanceTimersByTimeAsync(20);
      await settle();
    }
    expect(handled.filter((h) => h.partition === partition)).toHaveLength(n);
  }

  // Regression: one failure counter and one retry timer for all partitions; a partition's
  // first failure waited the backoff of another's fifth.
  it('backs each partition off by its own failures and retries it when due', async () => {
    let p1Failures = 0;
    const { handled, stream } = await running({
      fail: (batch) => batch.partition === 0 || (batch.partition === 1 && p1Failures++ === 0),
    });
    stream().deliver('rides', 0, [0]);
    await settle();
    await untilHandled(handled, 0, 5);
    // Partition 0 failed five times: its next attempt is 2.4 s to 4.8 s away. Partition 1's
    // first failure waits 150 ms to 300 ms.
    stream().deliver('rides', 1, [0]);
    await settle();
    expect(handled.filter((h) => h.partition === 1)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(400);
    await settle();
    expect(handled.filter((h) => h.partition === 1)).toHaveLength(2);
    expect(handled.filter((h) => h.partition === 0)).toHaveLength(5);
  });

  // Regression: a success of another partition reset the one counter: never reported.
  it("reports a partition's retries running out though other partitions succeed", async () => {
    const { crashes, handled, stream } = await running({ retries: 2, fail: (batch) => batch.partition === 0 });
    stream().deliver('rides', 0, [0]);
    await settle();
    for (let i = 1; i <= 2; i++) {
      stream().deliver('rides', 1, [i]);
      await untilHandled(handled, 1, i);
      await untilHandled(handled, 0, i + 1);
    }
    expect(crashes.map((c) => c.restarting)).toEqual([true]);
  });
});
