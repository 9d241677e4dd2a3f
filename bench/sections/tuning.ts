/**
 * Tuning experiments on the client settings the seam fixes today: the same do-nothing pipe
 * as the ceiling, on kafkajs directly, with `partitionsConsumedConcurrently` and the
 * producer's idempotence varied (kafkajs is imported here only to try settings the seam
 * does not expose yet).
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { BenchContext } from '../lib/context.js';
import { watchFill } from '../lib/kafka-io.js';
import type { ClientRate } from './ceilings.js';

/** Settings of one kafkajs pipe run. */
export interface PipeSettings {
  partitionsConsumedConcurrently: number;
  /** Idempotent producer with one request in flight (the seam's), or plain acks=all with 5. */
  idempotent: boolean;
  maxWaitTimeMs: number;
}

/** A kafkajs pipe with `settings`, measured like the seam pipe. */
export async function kafkajsPipe(
  ctx: BenchContext,
  source: string,
  records: number,
  settings: PipeSettings,
  tag: string,
): Promise<ClientRate & { settings: PipeSettings }> {
  const kafka = new Kafka({
    clientId: `bench-${ctx.runId}`,
    brokers: ctx.brokers.split(','),
    logLevel: logLevel.ERROR,
  });
  const out = ctx.topic(`tune-${tag}`);
  await ctx.createTopics([out]);
  const producer = kafka.producer({
    idempotent: settings.idempotent,
    maxInFlightRequests: settings.idempotent ? 1 : 5,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: ctx.group(`tune-${tag}`), maxWaitTimeInMs: settings.maxWaitTimeMs });
  await consumer.connect();
  await consumer.subscribe({ topics: [source], fromBeginning: true });
  let count = 0;
  let batches = 0;
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
    eachBatch: async ({ batch }) => {
      await producer.sendBatch({
        topicMessages: [{ topic: out, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) }],
        acks: -1,
      });
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() },
      ]);
      count += batch.messages.length;
      batches++;
    },
  });
  const cpuNow = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let cpu0 = 0;
  try {
    const fill = await watchFill(ctx.admin, out, records, 300_000, () => (cpu0 = cpuNow()));
    const cpu = cpuNow() - cpu0;
    return { ...fill, meanBatch: count / batches, cpuSecPer1000: (cpu / fill.counted) * 1000, settings };
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}
