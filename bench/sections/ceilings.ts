/**
 * Ceilings: what the broker, and the fleet's Kafka client alone, can do on this machine.
 * (a) Kafka's perf tools on ~150-byte records; (b) a do-nothing consumer through the
 * fleet's seam (kafkajs eachBatch, no decode, commit per batch); (c) a do-nothing pipe
 * (consume and re-produce the same bytes with the fleet's idempotent acks=all producer).
 */
import { within, type KafkaClient } from '@fleet/core';
import type { BenchContext } from '../lib/context.js';
import { consumerPerf, producerPerf, type ConsumerPerf, type ProducerPerf } from '../lib/kafka-perf.js';
import { watchFill } from '../lib/kafka-io.js';

/** Result of a do-nothing consumer or pipe run. */
export interface ClientRate {
  ratePerSec: number;
  seconds: number;
  records: number;
  /** Mean records per fetched batch (per partition). */
  meanBatch: number;
  /** CPU seconds of this (bench) process per 1,000 records. */
  cpuSecPer1000: number;
}

/** The {@link ClientRate} of `count` records consumed in `batches` between `t0` and `t1` (ms) for `cpuSec` CPU seconds. */
export function consumerRate(count: number, batches: number, t0: number, t1: number, cpuSec: number): ClientRate {
  const seconds = (t1 - t0) / 1000;
  return {
    ratePerSec: count / seconds,
    seconds,
    records: count,
    meanBatch: count / batches,
    cpuSecPer1000: (cpuSec / count) * 1000,
  };
}

/** The broker's own perf tools on records of `recordSize` bytes. */
export async function brokerCeiling(
  ctx: BenchContext,
  records: number,
  recordSize: number,
): Promise<{ producer: ProducerPerf; consumer: ConsumerPerf }> {
  const topic = ctx.topic('perf-tools');
  await ctx.createTopics([topic]);
  ctx.say(`Kafka ProducerPerformance: ${records} records of ${recordSize} bytes, acks=all`);
  const producer = await producerPerf(ctx.brokers, topic, records, recordSize, ctx.say);
  ctx.say(`Kafka ConsumerPerformance: ${records} records`);
  const consumer = await consumerPerf(ctx.brokers, topic, records, ctx.group('perf-consumer'), ctx.say);
  return { producer, consumer };
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * A do-nothing consumer through the seam on `source` (`records` records): counts and commits
 * each batch. Timed from the group join to the last record committed. `kafka`: the seam's
 * client to measure (the run's own by default); `tag` keeps its group apart.
 */
export async function seamConsumer(
  ctx: BenchContext,
  source: string,
  records: number,
  kafka: KafkaClient = ctx.kafka,
  tag = '',
): Promise<ClientRate> {
  let t0 = 0;
  let cpu0 = 0;
  // The clock starts when the group is joined: the first fetch is part of the work.
  const consumer = await kafka.consumer({
    groupId: ctx.group(`${tag}noop-consumer`),
    onGroupJoin: () => {
      t0 = performance.now();
      cpu0 = cpuNow();
    },
  });
  let count = 0;
  let batches = 0;
  let done!: (t: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  await consumer.run([source], async (batch, control) => {
    count += batch.records.length;
    batches++;
    await control.commit(batch.records[batch.records.length - 1].offset);
    if (count >= records) done(performance.now());
  });
  const t1 = await within('do-nothing consumer', 300_000, finished);
  const cpu = cpuNow() - cpu0;
  await consumer.stop();
  await consumer.disconnect();
  return consumerRate(count, batches, t0, t1, cpu);
}

/**
 * A do-nothing pipe through the seam: consumes `source` and re-produces the same key and
 * value bytes to a fresh topic (one acknowledged send per batch, then the commit), the
 * same loop as a model service without decode, scoring and encode. Measured like the
 * services: the steady rate of its output (`watchFill`). `kafka` and `tag` as for
 * {@link seamConsumer}.
 */
export async function seamPipe(
  ctx: BenchContext,
  source: string,
  records: number,
  kafka: KafkaClient = ctx.kafka,
  tag = '',
): Promise<ClientRate> {
  const out = ctx.topic(`${tag}pipe-out`);
  await ctx.createTopics([out]);
  const producer = await kafka.producer();
  const consumer = await kafka.consumer({ groupId: ctx.group(`${tag}noop-pipe`) });
  let count = 0;
  let batches = 0;
  await consumer.run([source], async (batch, control) => {
    await producer.send([{ topic: out, records: batch.records.map((r) => ({ key: r.key, value: r.value })) }]);
    await control.commit(batch.records[batch.records.length - 1].offset);
    count += batch.records.length;
    batches++;
  });
  let cpu0 = 0;
  const fill = await watchFill(ctx.admin, out, records, 300_000, () => (cpu0 = cpuNow()));
  const cpu = cpuNow() - cpu0;
  await consumer.stop();
  await consumer.disconnect();
  await producer.disconnect();
  return { ...fill, meanBatch: count / batches, cpuSecPer1000: (cpu / fill.counted) * 1000 };
}
