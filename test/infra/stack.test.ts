import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { ensureStack, loadInfraConfig, releaseStack, stackStatus, warmUpCoordinator } from '@fleet/infra';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

const { brokers, registryUrl, source } = inject('kafka');
/** A new group's first join waits at most a rebalance timeout; the fetch after it is work. */
const READ_BACK_WITHIN_MS = REBALANCE_TIMEOUT_MS + WORK_ALLOWANCE_MS;

function kafka(): Kafka {
  return new Kafka({ clientId: 'infra-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

describe('local stack', () => {
  it.runIf(source === 'local')(
    'ensureStack() again reuses the running stack and starts nothing (local stack only)',
    async () => {
      const again = await ensureStack();
      expect(again).toEqual({ brokers, registryUrl, started: [] });
      const status = await stackStatus();
      expect(status.kafka.answering).toBe(true);
      expect(status.registry.answering).toBe(true);
    },
  );

  it.runIf(source === 'local')(
    'a release stops nothing another run holds, even what the releasing run started (local stack only)',
    async () => {
      await ensureStack({ hold: 'test-other-run' });
      try {
        const released = await releaseStack(['kafka', 'registry'], 'test-releasing-run');
        expect(released.stopped).toEqual([]);
        expect(released.keptFor).toContain('test-other-run');
        const status = await stackStatus();
        expect(status.kafka.answering && status.registry.answering).toBe(true);
      } finally {
        expect((await releaseStack([], 'test-other-run')).stopped).toEqual([]);
      }
    },
  );

  it.runIf(source === 'local')(
    "the start's coordinator warm-up reaches the group coordinator from a fresh client (local stack only)",
    async () => {
      const said: string[] = [];
      expect(await warmUpCoordinator(loadInfraConfig(), (line) => said.push(line))).toBe(true);
      expect(said).toEqual([]);
    },
  );

  it(
    'kafkajs creates a topic, produces one record and a consumer group reads it back',
    { timeout: testTimeoutMs(READ_BACK_WITHIN_MS) },
    async () => {
      const client = kafka();
      const admin = client.admin();
      const producer = client.producer({ allowAutoTopicCreation: false });
      const consumer = client.consumer({ groupId: `test.infra.${randomBytes(4).toString('hex')}` });
      const topic = `test.infra.${randomBytes(5).toString('hex')}`;
      await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
        await producer.send({ topic, messages: [{ key: 'ride-1', value: 'hello' }] });
        await consumer.subscribe({ topic, fromBeginning: true });
        let deadline: NodeJS.Timeout | undefined;
        const received = await new Promise<string>((resolve, reject) => {
          deadline = setTimeout(
            () => reject(new Error(`the record was not read back within ${READ_BACK_WITHIN_MS} ms`)),
            READ_BACK_WITHIN_MS,
          );
          consumer
            .run({
              eachBatch: async ({ batch, resolveOffset }) => {
                for (const message of batch.messages) {
                  resolveOffset(message.offset);
                  resolve(`${message.key?.toString()}=${message.value?.toString()}`);
                }
              },
            })
            .catch(reject);
        }).finally(() => clearTimeout(deadline));
        expect(received).toBe('ride-1=hello');
        await consumer.stop();
        expect(await admin.fetchTopicOffsets(topic)).toEqual([
          expect.objectContaining({ partition: 0, high: '1', low: '0' }),
        ]);
      } finally {
        await consumer.disconnect();
        await admin.deleteTopics({ topics: [topic] }).catch(() => {});
        await Promise.all([producer.disconnect(), admin.disconnect()]);
      }
    },
  );

  it('the registry answers the Confluent-compatible API', async () => {
    const res = await fetch(`${registryUrl}/subjects`);
    expect(res.status).toBe(200);
    expect(Array.isArray(await res.json())).toBe(true);
  });
});
