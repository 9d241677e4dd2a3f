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

describe('a stream service starting', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });

  function serviceWith(calls: string[]) {
    return createStreamService({
      kafka: clientJoining({ rides: [0, 1] }, calls),
      logger,
      inputTopic: 'rides',
      outputTopics: ['predictions'],
      consumer: { groupId: 'g' },
      handler: () => () => Promise.resolve(),
    });
  }

  it('loads the metadata of its output topics before it consumes', async () => {
    const calls: string[] = [];
    await serviceWith(calls).start();
    expect(calls).toEqual(['prepare predictions', 'run']);
  });
});
