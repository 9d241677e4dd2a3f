import { describe, expect, it } from 'vitest';
import type { ConsumerOptions, KafkaClient, ProducerClient } from '../../src/kafka/types.js';
import { createLogger } from '../../src/logger.js';
import { createStreamService } from '../../src/pipeline/stream-service.js';

/**
 * A client stand-in whose consumer joins with `assignment` as soon as it runs, once per
 * member id of `memberIds` (a rejoin under the same id, or under a new one).
 */
function clientJoining(assignment: Record<string, number[]>, calls: string[], memberIds = ['m1']): KafkaClient {
  const producer: ProducerClient = {
    send: () => Promise.resolve(),
    prepare: (topics) => {
      calls.push(`prepare ${topics.join(',')}`);
      return Promise.resolve();
    },
    disconnect: () => Promise.resolve(),
  };
  return {
    producer: () => Promise.resolve(producer),
    consumer: (options: ConsumerOptions) =>
      Promise.resolve({
        run: () => {
          calls.push('run');
          for (const id of memberIds) options.onGroupJoin?.(assignment, id);
          return Promise.resolve();
        },
        stop: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
      }),
  } as unknown as KafkaClient;
}

describe('a stream service starting', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });

  function serviceWith(calls: string[], onAssignment?: () => void | Promise<void>) {
    return createStreamService({
      kafka: clientJoining({ rides: [0, 1] }, calls),
      logger,
      inputTopic: 'rides',
      outputTopics: ['predictions'],
      consumer: { groupId: 'g' },
      handler: () => () => Promise.resolve(),
      onAssignment,
    });
  }

  it('loads the metadata of its output topics before it consumes', async () => {
    const calls: string[] = [];
    await serviceWith(calls).start();
    expect(calls).toEqual(['prepare predictions', 'run']);
  });

  it('reports ready once joined, and not before the work its assignment asked is done', async () => {
    let finish!: () => void;
    const work = new Promise<void>((resolve) => (finish = resolve));
    const waiting = serviceWith([], () => work);
    await waiting.start();
    expect(waiting.ready).toBe(false);
    finish();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(waiting.ready).toBe(true);

    const plain = serviceWith([]);
    await plain.start();
    expect(plain.ready).toBe(true);
  });

  it('tells each assignment whether the member kept its id since the last join', async () => {
    const seen: boolean[] = [];
    await createStreamService({
      kafka: clientJoining({ rides: [0] }, [], ['m1', 'm1', 'm2', 'm2']),
      logger,
      inputTopic: 'rides',
      outputTopics: [],
      consumer: { groupId: 'g' },
      handler: () => () => Promise.resolve(),
      onAssignment: (_, { continued }) => void seen.push(continued),
    }).start();
    // The first join, a rebalance, a session that expired (new id), a rebalance.
    expect(seen).toEqual([false, true, false, true]);
  });

  it('reports ready when the work of its assignment failed (logged): consuming goes on regardless', async () => {
    const failing = serviceWith([], () => Promise.reject(new Error('read refused')));
    await failing.start();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(failing.ready).toBe(true);
  });
});
