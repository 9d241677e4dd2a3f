import { Producer, ProduceAcks, type MessageToProduce, type Partitioner } from '@platformatic/kafka';
import { FleetError } from '@fleet/contract';
import type { Logger } from '../logger.js';
import { murmur2 } from './partitioner.js';
import { hasApiError, saslUser, toFleetError, translated } from './platformatic-errors.js';
import { chunkBySize, recordSize } from './request-size.js';
import { createSendQueue } from './send-queue.js';
import type { OutgoingRecord, ProducerClient } from './types.js';

/** Broker answers meaning the idempotent producer's sequence state is gone for good. */
const LOST_STATE = [
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
];

function lostProducerState(err: unknown): boolean {
  return LOST_STATE.some((id) => hasApiError(err, id));
}

let roundRobin = 0;

/**
 * The partition of a record before the library takes it modulo the partition count. The
 * library's default takes murmur2 of the key unsigned; Java's client and kafkajs take its
 * low 31 bits: this one sends a key to the same partition as they do (partitioner.ts), so
 * every ride's records meet on one partition whichever client each service runs. Records
 * without a key go round robin.
 */
export const keyPartitioner: Partitioner<Buffer, Buffer, Buffer, Buffer> = (_message, key) =>
  Buffer.isBuffer(key) ? murmur2(key) & 0x7fffffff : roundRobin++ & 0x7fffffff;

type Options = ConstructorParameters<typeof Producer<Buffer, Buffer, Buffer, Buffer>>[0];

function newProducer(options: Options): Producer<Buffer, Buffer, Buffer, Buffer> {
  // The library forces one request in flight per connection and acks=all when idempotent,
  // and numbers each partition's records from a counter it advances only on success: a
  // failed send is retried with the same sequence numbers, which the broker de-duplicates.
  return new Producer<Buffer, Buffer, Buffer, Buffer>({
    ...options,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    partitioner: keyPartitioner,
  });
}

/**
 * The seam's producer on @platformatic/kafka. One request is in flight at a time: the
 * library reads a partition's next sequence number when it builds a request and advances
 * it only when the answer comes, so two sends in flight to one partition would carry the
 * same numbers and the second would be dropped as a duplicate. As on kafkajs, the sends
 * that arrive meanwhile are coalesced into the next request, in arrival order, so batches
 * of several partitions handled at once cost one produce round trip. When the broker has
 * lost the producer's state (an unclean restart: OUT_OF_ORDER_SEQUENCE_NUMBER,
 * UNKNOWN_PRODUCER_ID), a fresh producer (new id) takes over and the send fails with a
 * retriable FLEET_KAFKA_UNAVAILABLE, so the batches are handled and sent again.
 */
export async function connectPlatformaticProducer(options: Options, log: Logger): Promise<ProducerClient> {
  let producer = newProducer(options);
  // Connects and gets the producer id now, as kafkajs' connect does: a broker that cannot be
  // reached fails here, and the first send pays no extra round trip.
  const user = saslUser(options);
  await translated(
    'connect an idempotent producer (it needs WRITE on a topic)',
    () => producer.initIdempotentProducer({}),
    user,
  );
  async function sendNow(messages: MessageToProduce[]): Promise<void> {
    try {
      // Over one request's worth, in several requests, one after the other (request-size.ts).
      for (const chunk of chunkBySize(messages, messageSize))
        await producer.send({ messages: chunk, acks: ProduceAcks.ALL });
    } catch (err) {
      if (!lostProducerState(err))
        throw toFleetError(err, `write to ${[...new Set(messages.map((m) => m.topic))].join(', ')}`, user);
      log.warn({ err }, 'the broker lost the producer state; replacing the producer');
      const old = producer;
      producer = newProducer(options);
      await old.close().catch((e: unknown) => log.debug({ err: e }, 'closing the replaced producer failed'));
      throw new FleetError(
        'FLEET_KAFKA_UNAVAILABLE',
        `producer state lost (${(err as Error).message}); the batch will be sent again`,
      );
    }
  }

  const queue = createSendQueue(sendNow);

  return {
    send: (batches) => queue.send(batches.flatMap((b) => b.records.map((r) => toMessage(b.topic, r)))),
    async prepare(topics) {
      await translated(
        `read the metadata of ${topics.join(', ')}`,
        () => producer.metadata({ topics: [...topics] }),
        user,
      );
    },
    async disconnect() {
      await queue.idle();
      await producer.close();
    },
  };
}

const messageSize = (m: MessageToProduce): number =>
  recordSize(m.key, m.value, m.headers instanceof Map ? m.headers : Object.entries(m.headers ?? {}));

function toMessage(topic: string, r: OutgoingRecord): MessageToProduce {
  const headers = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(r.headers ?? {})) headers.set(Buffer.from(name), Buffer.from(value));
  return {
    topic,
    key: r.key === null ? undefined : typeof r.key === 'string' ? Buffer.from(r.key) : r.key,
    value: r.value ?? undefined,
    headers,
  };
}
