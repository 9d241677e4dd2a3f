import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { FleetError } from '@fleet/contract';
import type { Logger } from '../logger.js';
import type { ProducerClient } from './types.js';

/** Broker answers meaning the idempotent producer's sequence state is gone for good. */
const LOST_STATE = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

function lostProducerState(err: unknown): boolean {
  for (let e = err as { type?: string; message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if ((e.type && LOST_STATE.has(e.type)) || /out of order sequence/i.test(e.message ?? '')) return true;
  }
  return false;
}

async function newProducer(kafka: Kafka): Promise<Producer> {
  // Idempotence needs acks from all in-sync replicas, and kafkajs assigns sequence numbers
  // when a request is built: one request in flight keeps them in order on the wire.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // Idempotence holds only while the producer keeps retrying the same sequence numbers.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 30000 },
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return producer;
}

/**
 * The seam's producer on kafkajs. Sends are serialized (concurrent batch handlers must not
 * interleave sequence numbers of one partition), and when the broker has lost the
 * producer's state (after an unclean restart kafkajs cannot recover from "out of order
 * sequence number"), a fresh producer takes over and the send fails with a retriable
 * FLEET_KAFKA_UNAVAILABLE, so the batch is fetched and sent again.
 */
export async function connectProducer(kafka: Kafka, log: Logger): Promise<ProducerClient> {
  let producer = await newProducer(kafka);
  let queue: Promise<unknown> = Promise.resolve();

  async function sendNow(topicMessages: Parameters<Producer['sendBatch']>[0]['topicMessages']): Promise<void> {
    try {
      await producer.sendBatch({ topicMessages, acks: -1 });
    } catch (err) {
      if (!lostProducerState(err)) throw err;
      log.warn({ err }, 'the broker lost the producer state; replacing the producer');
      const old = producer;
      producer = await newProducer(kafka);
      await old.disconnect().catch((err: unknown) => log.debug({ err }, 'closing the replaced producer failed'));
      // No `cause`: kafkajs decides whether to restart a consumer from the deepest cause.
      throw new FleetError(
        'FLEET_KAFKA_UNAVAILABLE',
        `producer state lost (${(err as Error).message}); the batch will be sent again`,
      );
    }
  }

  return {
    send(batches) {
      const topicMessages = batches
        .filter((b) => b.records.length > 0)
        .map((b) => ({
          topic: b.topic,
          messages: b.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
        }));
      if (topicMessages.length === 0) return Promise.resolve();
      const sent = queue.then(() => sendNow(topicMessages));
      // The caller gets the failure through `sent`; the queue only keeps the order.
      queue = sent.catch(() => undefined);
      return sent;
    },
    async disconnect() {
      await queue;
      await producer.disconnect();
    },
  };
}
