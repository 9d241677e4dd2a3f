import { describe, expect, it } from 'vitest';
import type { ConsumerOptions, KafkaClient, ProducerClient } from '../../src/kafka/types.js';
import { createLogger } from '../../src/logger.js';
import { createStreamService } from '../../src/pipeline/stream-service.js';

/** A client stand-in whose consumer joins with `assignment` as soon as it runs. */
function clientJoining(assignment: Record<string, number[]>, calls: string[]): KafkaClient {
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
          options.onGroupJoin?.(assignment);
          return Promise.resolve();
        },
        stop: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
      }),
  } as unknown as KafkaClient;
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('a stream service starting', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });

  function serviceWith(calls: string[], onAssignment: () => Promise<void>) {
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
    await serviceWith(calls, () => Promise.resolve()).start();
    expect(calls).toEqual(['prepare predictions', 'run']);
  });

  it('is ready only once what it prepares for its assignment is done', async () => {
    const gate = deferred();
    const service = serviceWith([], () => gate.promise);
    await service.start();
    await settle();
    expect(service.ready).toBe(false);
    gate.resolve();
    await settle();
    expect(service.ready).toBe(true);
  });

  it('is ready when that preparation fails too (its batches redo it)', async () => {
    const gate = deferred();
    const service = serviceWith([], () => gate.promise);
    await service.start();
    gate.reject(new Error('broker away'));
    await settle();
    expect(service.ready).toBe(true);
  });
});
