import { randomBytes } from 'node:crypto';
import { within, type ConsumerClient, type KafkaClient, type ProducerClient } from '@fleet/core';
import type { Progress } from './config.js';

/** Topics of the warm-up traffic (deleted afterwards); its consumer groups are `fleet-infra-warm-up-<n>`. */
export const WARM_UP_TOPICS = ['fleet-infra-warm-up', 'fleet-infra-warm-up-paced'];

/** Options of {@link warmUpBroker}. */
export interface BrokerWarmUpOptions {
  /** Longest the traffic runs once its consumers have joined. */
  readonly maxMs: number;
  readonly onProgress?: Progress;
}

/** What a warm-up did. */
export interface BrokerWarmUp {
  /** Records produced and acknowledged. */
  readonly records: number;
  /** How long the traffic ran. */
  readonly ms: number;
  /** Whether the broker's rate stopped rising before `maxMs`. */
  readonly steady: boolean;
}

/** Flat-out senders, each with its own producer, each waiting for its acknowledgement before the next. */
const SENDERS = 3;
const PARTITIONS = 6;
/** Pause between the paced sender's records. */
const PACED_GAP_MS = 2;
/** Longest a warm-up consumer may take to join its group (then the warm-up gives up). */
const JOIN_TIMEOUT_MS = 30_000;
/** The rate is compared over windows of this many seconds. */
const WINDOW_S = 5;
/** Least time the traffic runs: the first seconds' rate says nothing yet. */
const MIN_S = 10;
/** A window whose rate is within this factor of the one before means the rate stopped rising. */
const STEADY_FACTOR = 1.05;

/**
 * Whether a rate sampled once a second has stopped rising: its last {@link WINDOW_S} seconds
 * carried at most {@link STEADY_FACTOR} times the records of the seconds before them, after
 * at least {@link MIN_S} seconds.
 */
export function rateIsSteady(perSecond: readonly number[]): boolean {
  if (perSecond.length < Math.max(MIN_S, 2 * WINDOW_S)) return false;
  const sum = (from: number, to: number) => perSecond.slice(from, to).reduce((a, b) => a + b, 0);
  const n = perSecond.length;
  return sum(n - WINDOW_S, n) <= STEADY_FACTOR * sum(n - 2 * WINDOW_S, n - WINDOW_S);
}

/**
 * Runs the requests a fleet makes — produce (acks=all, idempotent), fetch, offset commit,
 * heartbeat — through a broker just started, on scratch topics deleted afterwards, until
 * the rate it serves stops rising (or `maxMs`). A fresh JVM runs them interpreted, then
 * compiles its hot paths while the first rides go through it: measured on a 2-core
 * machine, about twenty seconds in which its compilers take most of both cores and a fleet
 * at 200 rides/s sees several times its steady latency. This moves those seconds before
 * the broker counts as started.
 */
export async function warmUpBroker(kafka: KafkaClient, options: BrokerWarmUpOptions): Promise<BrokerWarmUp> {
  const admin = await kafka.admin();
  const producers: ProducerClient[] = [];
  const consumers: ConsumerClient[] = [];
  try {
    const existing = await admin.listTopics();
    const missing = WARM_UP_TOPICS.filter((topic) => !existing.includes(topic));
    await admin.createTopics(missing.map((topic) => ({ topic, partitions: PARTITIONS, replicationFactor: 1 })));
    // A producer (a connection) per sender, as a fleet's services each have theirs: the
    // broker appends to the same partitions from several request threads at once.
    for (let i = 0; i <= SENDERS; i++) {
      producers.push(await kafka.producer());
      await producers[i].prepare(WARM_UP_TOPICS);
    }
    // One group reads the flat-out topic (fetches that find records waiting); two read the
    // paced one and keep up with it (fetches held by the broker until a produce completes
    // them, as a fleet's are at everyday rates); one reads both as the monitor does
    // (fetches of several topics that wait for 64 KiB or half a second).
    const readers: Array<{ topics: string[]; minBytes?: number; maxWaitTimeMs?: number }> = [
      { topics: [WARM_UP_TOPICS[0]] },
      { topics: [WARM_UP_TOPICS[1]] },
      { topics: [WARM_UP_TOPICS[1]] },
      { topics: WARM_UP_TOPICS, minBytes: 65536, maxWaitTimeMs: 500 },
    ];
    await Promise.all(
      readers.map(async ({ topics, ...fetch }, i) => {
        let joined!: () => void;
        const join = new Promise<void>((resolve) => (joined = resolve));
        const groupId = `${WARM_UP_TOPICS[0]}-${i}`;
        const consumer = await kafka.consumer({ groupId, ...fetch, onGroupJoin: () => joined() });
        consumers.push(consumer);
        void consumer.run(topics, (batch, control) => control.commit(batch.records.at(-1)!.offset));
        await within(`warm-up consumer of group ${groupId} joining`, JOIN_TIMEOUT_MS, join);
      }),
    );
    const started = Date.now();
    const value = randomBytes(120);
    let records = 0;
    const perSecond: number[] = [];
    let counted = 0;
    let done = false;
    const sampler = setInterval(() => {
      perSecond.push(records - counted);
      counted = records;
      const s = perSecond.length;
      if (s % WINDOW_S === 0) options.onProgress?.(`warming up the broker … ${s} s, ${perSecond[s - 1]} records/s`);
      done = rateIsSteady(perSecond) || Date.now() - started >= options.maxMs;
    }, 1000);
    // The rate measured is the flat-out senders'; the paced one only exercises held fetches.
    const flatOut = async (producer: ProducerClient, n: number): Promise<void> => {
      for (let i = 0; !done; i++) {
        const batch = Array.from({ length: 1 + (i % PARTITIONS) }, (_, k) => ({ key: `k${n}-${i}-${k}`, value }));
        await producer.send([{ topic: WARM_UP_TOPICS[0], records: batch }]);
        records += batch.length;
      }
    };
    const paced = async (producer: ProducerClient): Promise<void> => {
      for (let i = 0; !done; i++) {
        await producer.send([{ topic: WARM_UP_TOPICS[1], records: [{ key: `p${i}`, value }] }]);
        await new Promise((resolve) => setTimeout(resolve, PACED_GAP_MS));
      }
    };
    try {
      const [pacer, ...flat] = producers;
      await Promise.all([...flat.map(flatOut), paced(pacer)]);
    } finally {
      clearInterval(sampler);
    }
    return { records, ms: Date.now() - started, steady: rateIsSteady(perSecond) };
  } finally {
    for (const consumer of consumers) {
      await consumer.stop().catch(() => undefined);
      await consumer.disconnect().catch(() => undefined);
    }
    for (const producer of producers) await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics(WARM_UP_TOPICS).catch(() => undefined);
    await admin.disconnect();
  }
}
