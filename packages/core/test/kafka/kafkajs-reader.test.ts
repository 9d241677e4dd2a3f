import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { readPartition } from '../../src/kafka/kafkajs-reader.js';

/**
 * A kafkajs stand-in whose consumer behaves as kafkajs does when the first join of the
 * reader group is refused (GROUP_LOAD_IN_PROGRESS after a broker freeze): run() reports a
 * crash, stops the consumer and resolves; a seek on the stopped consumer throws.
 */
function kafkaWhoseJoinIsRefused(refusal: Error) {
  const crashListeners: Array<(event: { payload: { error: Error; restart: boolean } }) => void> = [];
  const deletedGroups: string[] = [];
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    connect: async () => undefined,
    on: (_event: string, listener: (typeof crashListeners)[number]) => crashListeners.push(listener),
    subscribe: async () => undefined,
    run: async () => {
      for (const listener of crashListeners) listener({ payload: { error: refusal, restart: false } });
    },
    seek: () => {
      throw new Error('Consumer group was not initialized, consumer#run must be called first');
    },
    disconnect: async () => undefined,
  };
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicOffsetsByTimestamp: async () => [{ partition: 0, offset: '0' }],
    fetchTopicOffsets: async () => [{ partition: 0, offset: '5', high: '5', low: '0' }],
    deleteGroups: async (groups: string[]) => void deletedGroups.push(...groups),
  };
  return { kafka: { consumer: () => consumer, admin: () => admin } as unknown as Kafka, deletedGroups };
}

describe('readPartition on kafkajs', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('gives the caller a refused first join as its error, never as an unhandled rejection', async () => {
    process.on('unhandledRejection', onUnhandled);
    const refusal = Object.assign(new Error('The coordinator is loading'), { type: 'GROUP_LOAD_IN_PROGRESS' });
    const { kafka, deletedGroups } = kafkaWhoseJoinIsRefused(refusal);
    const read = readPartition(kafka, 'predictions', 0, 0, () => undefined, pino({ level: 'silent' }));
    await expect(read).rejects.toBe(refusal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
    expect(deletedGroups).toHaveLength(1);
  });
});
