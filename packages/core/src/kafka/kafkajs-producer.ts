import type { ICustomPartitioner, Kafka, Message, Producer } from 'kafkajs';
import { FleetError } from '@fleet/contract';
import type { Logger } from '../logger.js';
import { errorChain } from './kafkajs-errors.js';
import { keyPartition } from './partitioner.js';
import { chunkBySize, MAX_REQUEST_BYTES, recordSize } from './request-size.js';
import { createSendQueue } from './send-queue.js';
import type { ProducerClient } from './types.js';

/** Broker answers meaning the idempotent producer's sequence state is gone for good. */
const LOST_STATE = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

function lostProducerState(err: unknown): boolean {
  return errorChain(err).some(
    (e) => (e.type !== undefined && LOST_STATE.has(e.type)) || /out of order sequence/i.test(e.message ?? ''),
  );
}

async function newProducer(kafka: Kafka): Promise<Producer> {
  // Idempotence needs acks from all in-sync replicas, and kafkajs assigns sequence numbers
  // when a request is built: one request in flight keeps them in order on the wire.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // Idempotence holds only while the producer keeps retrying the same sequence numbers.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 30000 },
    createPartitioner: keyPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return producer;
}

/**
 * kafkajs' DefaultPartitioner, computed by {@link keyPartition}: a given partition is kept,
 * a key goes where Kafka's Java client sends it, and records without a key go round robin
 * over the partitions that have a leader.
 */
export const keyPartitioner: ICustomPartitioner = () => {
  let next = Math.floor(Math.random() * 0x7fffffff);
  return ({ partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return keyPartition(message.key, partitionMetadata.length);
    const led = partitionMetadata.filter((p) => p.leader >= 0);
    const from = led.length > 0 ? led : partitionMetadata;
    return from[next++ % from.length].partitionId;
  };
};

/** The messages of one send, by topic. */
type TopicMessages = Array<{ topic: string; messages: Message[] }>;

/**
 * The seam's producer on kafkajs. One request is in flight at a time (concurrent batch
 * handlers must not interleave sequence numbers of one partition); the sends that arrive
 * meanwhile are coalesced into the next request, in arrival order, so batches of several
 * partitions handled at once cost one produce round trip, not one each. When the broker
 * has lost the producer's state (after an unclean restart kafkajs cannot recover from "out
 * of order sequence number"), a fresh producer takes over and the send fails with a
 * retriable FLEET_KAFKA_UNAVAILABLE, so the batches are fetched and sent again.
 */
export async function connectProducer(kafka: Kafka, log: Logger): Promise<ProducerClient> {
  let producer = await newProducer(kafka);

  async function sendNow(topicMessages: TopicMessages): Promise<void> {
    try {
      // Over one request's worth, in several requests, one after the other (request-size.ts).
      for (const chunk of requests(topicMessages)) await producer.sendBatch({ topicMessages: chunk, acks: -1 });
    } catch (err) {
      if (!lostProducerState(err)) throw err;
      log.warn({ err }, 'the broker lost the producer state; replacing the producer');
      const old = producer;
      producer = await newProducer(kafka);
      await old.disconnect().catch((e: unknown) => log.debug({ err: e }, 'closing the replaced producer failed'));
      // No `cause`: kafkajs decides whether to restart a consumer from the deepest cause.
      throw new FleetError(
        'FLEET_KAFKA_UNAVAILABLE',
        `producer state lost (${(err as Error).message}); the batch will be sent again`,
      );
    }
  }

  const queue = createSendQueue((sends: TopicMessages) => sendNow(merge(sends)));

  return {
    send(batches) {
      return queue.send(
        batches
          .filter((b) => b.records.length > 0)
          .map((b) => ({
            topic: b.topic,
            messages: b.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
          })),
      );
    },
    async prepare(topics) {
      // A send with no messages makes them target topics and loads their metadata; no
      // produce request goes out.
      await producer.sendBatch({ topicMessages: topics.map((topic) => ({ topic, messages: [] })), acks: -1 });
    },
    async disconnect() {
      await queue.idle();
      await producer.disconnect();
    },
  };
}

/** The messages of `topicMessages`, in order, in requests of at most MAX_REQUEST_BYTES each. */
function requests(topicMessages: TopicMessages): TopicMessages[] {
  // The everyday case, one request: sized without copying, sent as it came, not regrouped.
  let total = 0;
  for (const { messages } of topicMessages) for (const m of messages) total += messageSize(m);
  if (total <= MAX_REQUEST_BYTES) return [topicMessages];
  const flat = topicMessages.flatMap(({ topic, messages }) => messages.map((message) => ({ topic, message })));
  const chunks = chunkBySize(flat, ({ message }) => messageSize(message));
  if (chunks.length === 1) return [topicMessages];
  return chunks.map((chunk) => merge(chunk.map(({ topic, message }) => ({ topic, messages: [message] }))));
}

const messageSize = (m: Message): number =>
  recordSize(m.key, m.value, Object.entries((m.headers ?? {}) as Record<string, string>));

/** One request's topic messages from several sends, each topic once, messages in order. */
function merge(sends: TopicMessages): TopicMessages {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, messages } of sends) {
    const list = byTopic.get(topic);
    if (list) list.push(...messages);
    else byTopic.set(topic, [...messages]);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
