import { afterEach, describe, expect, it, vi } from 'vitest';
import { FleetError } from '@fleet/contract';
import { createLogger, type ConsumerOptions, type KafkaClient, type Registry } from '@fleet/core';
import { createDecisionListener } from '../src/decisions.js';
import { oneEmptyPartitionAdmin } from './stand-ins.js';

/** A Kafka stand-in whose consumers join at once; the test reads the options each was made with. */
function kafkaRecordingConsumers(): { kafka: KafkaClient; made: ConsumerOptions[]; disconnected: () => number } {
  const made: ConsumerOptions[] = [];
  let disconnected = 0;
  const kafka = {
    admin: oneEmptyPartitionAdmin,
    consumer: (options: ConsumerOptions) => {
      made.push(options);
      return Promise.resolve({
        run: () => {
          options.onGroupJoin?.({ decisions: [0] }, `m${made.length}`);
          return Promise.resolve();
        },
        stop: () => Promise.resolve(),
        disconnect: () => (disconnected++, Promise.resolve()),
      });
    },
  } as unknown as KafkaClient;
  return { kafka, made, disconnected: () => disconnected };
}

const registry: Registry = {
  register: () => Promise.resolve(1),
  lookup: () => Promise.resolve(1),
  typeById: () => Promise.reject(new Error('not expected: no record is decoded')),
};

async function startedListener(kafka: KafkaClient) {
  const listener = await createDecisionListener({
    kafka,
    registry,
    topic: 'decisions',
    logger: createLogger({ service: 'test', level: 'silent' }),
    onDecision: () => undefined,
    groupId: 'g',
  });
  await listener.start();
  return listener;
}

// Regression: after a crash its client did not restart from (the fault suite's broker
// restarts), the backend's listener stayed silent for good while the fleet went on deciding.
describe('the decision listener after its consumer crashed', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('makes a new consumer in the same group after a backoff when the client does not restart it', async () => {
    vi.useFakeTimers();
    const { kafka, made, disconnected } = kafkaRecordingConsumers();
    const listener = await startedListener(kafka);
    made[0].onCrash?.(new Error('the group coordinator no longer knows this member'), false);
    await vi.advanceTimersByTimeAsync(999);
    expect(made).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(made).toHaveLength(2);
    expect(made[1].groupId).toBe('g');
    expect(disconnected()).toBe(1);
    await listener.stop();
  });

  it('leaves a crash its client restarts from to the client', async () => {
    vi.useFakeTimers();
    const { kafka, made } = kafkaRecordingConsumers();
    const listener = await startedListener(kafka);
    made[0].onCrash?.(new Error('broker away for a moment'), true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(made).toHaveLength(1);
    await listener.stop();
  });

  it('makes none once stopped, and stops at once while waiting to make one', async () => {
    vi.useFakeTimers();
    const { kafka, made } = kafkaRecordingConsumers();
    const listener = await startedListener(kafka);
    made[0].onCrash?.(new Error('crashed'), false);
    await vi.advanceTimersByTimeAsync(0);
    await listener.stop();
    // No backoff left pending to keep the process alive.
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(made).toHaveLength(1);
  });

  it('rejects start with a refusal by the ACLs, which no new consumer mends', async () => {
    const { kafka, made } = kafkaRecordingConsumers();
    const refusing = {
      ...kafka,
      consumer: async (options: ConsumerOptions) => {
        const consumer = await kafka.consumer(options);
        return {
          ...consumer,
          run: () => {
            options.onCrash?.(new FleetError('FLEET_KAFKA_NOT_AUTHORIZED', 'no ACL allows it'), false);
            return Promise.resolve();
          },
        };
      },
    } as KafkaClient;
    await expect(startedListener(refusing)).rejects.toMatchObject({ code: 'FLEET_KAFKA_NOT_AUTHORIZED' });
    expect(made).toHaveLength(1);
  });
});
