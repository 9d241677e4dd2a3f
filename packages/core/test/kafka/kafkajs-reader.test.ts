import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readPartition } from '../../src/kafka/kafkajs-reader.js';

/**
 * A kafkajs stand-in whose consumer behaves as kafkajs does when the first join of the
 * reader group is refused (GROUP_LOAD_IN_PROGRESS after a broker freeze): run() reports a
 * crash, stops the consumer and resolves; a seek on the stopped consumer throws. The first
 * `refusals` joins are refused; after them the consumer reads offsets 0-4 of partition 0.
 */
function kafkaWhoseJoinIsRefused(refusal: Error, refusals: number) {
  const deletedGroups: string[] = [];
  let joins = 0;
  const consumer = () => {
    const crashListeners: Array<(event: { payload: { error: Error; restart: boolean } }) => void> = [];
    let eachBatch: (payload: unknown) => Promise<void> = async () => undefined;
    let refused = false;
    return {
      events: { CRASH: 'consumer.crash' },
      connect: async () => undefined,
      on: (_event: string, listener: (typeof crashListeners)[number]) => crashListeners.push(listener),
      subscribe: async () => undefined,
      run: async (options: { eachBatch: typeof eachBatch }) => {
        eachBatch = options.eachBatch;
        refused = joins++ < refusals;
        if (refused) for (const listener of crashListeners) listener({ payload: { error: refusal, restart: false } });
      },
      seek: () => {
        if (refused) throw new Error('Consumer group was not initialized, consumer#run must be called first');
        const messages = [0, 1, 2, 3, 4].map((o) => ({ offset: String(o), key: null, value: null, timestamp: '0' }));
        void eachBatch({ batch: { partition: 0, messages, lastOffset: () => '4' } });
      },
      disconnect: async () => undefined,
    };
  };
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicOffsetsByTimestamp: async () => [{ partition: 0, offset: '0' }],
    fetchTopicOffsets: async () => [{ partition: 0, offset: '5', high: '5', low: '0' }],
    deleteGroups: async (groups: string[]) => void deletedGroups.push(...groups),
  };
  return { kafka: { consumer, admin: () => admin } as unknown as Kafka, deletedGroups };
}

describe('readPartition on kafkajs', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const refusal = Object.assign(new Error('The coordinator is loading'), { type: 'GROUP_LOAD_IN_PROGRESS' });
  const silent = pino({ level: 'silent' });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('reads with a fresh group when the coordinator refused the first join while loading', async () => {
    const { kafka, deletedGroups } = kafkaWhoseJoinIsRefused(refusal, 2);
    const offsets: string[] = [];
    const count = await readPartition(kafka, 'predictions', 0, 0, (r) => offsets.push(r.offset), silent);
    expect(count).toBe(5);
    expect(offsets).toEqual(['0', '1', '2', '3', '4']);
    // Three groups joined, each deleted after its attempt.
    expect(new Set(deletedGroups).size).toBe(3);
  });

  it('gives the caller a refusal that lasts as its error, never as an unhandled rejection', async () => {
    process.on('unhandledRejection', onUnhandled);
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const { kafka, deletedGroups } = kafkaWhoseJoinIsRefused(refusal, Number.POSITIVE_INFINITY);
      const read = readPartition(kafka, 'predictions', 0, 0, () => undefined, silent).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(await read).toBe(refusal);
      // The first attempt and six retries, each with its own group, each deleted.
      expect(new Set(deletedGroups).size).toBe(7);
    } finally {
      vi.useRealTimers();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
  });

  it('does not retry another refusal', async () => {
    const denied = Object.assign(new Error('Not authorized to access group'), { type: 'GROUP_AUTHORIZATION_FAILED' });
    const { kafka, deletedGroups } = kafkaWhoseJoinIsRefused(denied, 1);
    await expect(readPartition(kafka, 'predictions', 0, 0, () => undefined, silent)).rejects.toBe(denied);
    expect(deletedGroups).toHaveLength(1);
  });
});
