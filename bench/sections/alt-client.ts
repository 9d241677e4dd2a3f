/**
 * The same do-nothing consumer and pipe as the ceilings, on @platformatic/kafka instead of
 * kafkajs (bench only; not behind the seam yet). Loaded dynamically: from the project's
 * node_modules when installed, else from the directory named by BENCH_ALT_CLIENT_DIR
 * (a `node_modules/@platformatic/kafka` installed elsewhere); skipped when absent.
 * Same semantics as the kafkajs pipe: idempotent producer, acks=all, commit after each send.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext } from '../lib/context.js';
import { watchFill } from '../lib/kafka-io.js';
import { consumerRate, withTimeout, type ClientRate } from './ceilings.js';

interface AltMessage {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  key: Buffer;
  value: Buffer;
}
interface AltStream {
  on(event: 'data', fn: (m: AltMessage) => void): void;
  on(event: 'error', fn: (err: unknown) => void): void;
  close(): Promise<void>;
}
interface AltConsumer {
  consume(options: Record<string, unknown>): Promise<AltStream>;
  commit(options: {
    offsets: Array<{ topic: string; partition: number; offset: bigint; leaderEpoch: number }>;
  }): Promise<void>;
  close(force?: boolean): Promise<void>;
}
interface AltProducer {
  send(options: { messages: Array<{ topic: string; key: Buffer; value: Buffer }>; acks?: number }): Promise<unknown>;
  close(): Promise<void>;
}
interface AltModule {
  Consumer: new (options: Record<string, unknown>) => AltConsumer;
  Producer: new (options: Record<string, unknown>) => AltProducer;
}

/** The library and its version, or undefined when it is not installed. */
export async function loadAltClient(): Promise<{ lib: AltModule; version: string; from: string } | undefined> {
  const name = '@platformatic/kafka';
  const candidates: string[] = [name];
  const dir = process.env.BENCH_ALT_CLIENT_DIR;
  if (dir) candidates.push(pathToFileURL(join(dir, 'dist', 'index.js')).href);
  for (const spec of candidates) {
    try {
      const lib = (await import(spec)) as AltModule;
      const pkgDir = spec === name ? undefined : dir;
      let version = 'unknown';
      if (pkgDir) {
        const { readFile } = await import('node:fs/promises');
        version = (JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
      }
      return { lib, version, from: spec === name ? 'node_modules' : dir! };
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Records per micro-batch (≈ 1 MiB of ~100-byte rides). */
const MAX_BATCH = 10_000;

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Consumes `source` with @platformatic/kafka in micro-batches (what arrived since the last
 * turn); with `pipe`, re-produces each micro-batch and then commits it.
 */
export async function altClientRun(
  ctx: BenchContext,
  lib: AltModule,
  source: string,
  records: number,
  pipe: boolean,
): Promise<ClientRate> {
  const base = { clientId: `bench-alt-${ctx.runId}`, bootstrapBrokers: ctx.brokers.split(',') };
  const consumer = new lib.Consumer({ ...base, groupId: ctx.group(pipe ? 'alt-pipe' : 'alt-consumer') });
  const producer = pipe ? new lib.Producer({ ...base, idempotent: true, acks: -1 }) : undefined;
  const out = ctx.topic(pipe ? 'alt-pipe-out' : 'alt-unused');
  if (pipe) await ctx.createTopics([out]);
  const stream = await consumer.consume({
    topics: [source],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
    maxWaitTime: 100,
    maxBytesPerPartition: 1048576,
  });
  const pending: AltMessage[] = [];
  let count = 0;
  let batches = 0;
  let t0 = 0;
  let cpu0 = 0;
  let busy = false;
  let failure: unknown;
  let done!: (t: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const flush = async (): Promise<void> => {
    if (busy || pending.length === 0) return;
    busy = true;
    // At most ~1 MB of rides per send, like kafkajs' maxBytesPerPartition fetches.
    const batch = pending.splice(0, MAX_BATCH);
    try {
      if (producer) await producer.send({ messages: batch.map((m) => ({ topic: out, key: m.key, value: m.value })) });
      const last = new Map<string, AltMessage>();
      for (const m of batch) last.set(`${m.topic}:${m.partition}`, m);
      await consumer.commit({
        offsets: [...last.values()].map((m) => ({
          topic: m.topic,
          partition: m.partition,
          offset: m.offset + 1n,
          leaderEpoch: m.leaderEpoch,
        })),
      });
      count += batch.length;
      batches++;
      if (count >= records) done(performance.now());
    } catch (err) {
      failure = err;
      done(performance.now());
    } finally {
      busy = false;
    }
    if (pending.length > 0) setImmediate(() => void flush());
  };
  // consume() resolves once the group is joined: the clock starts there, as for kafkajs.
  t0 = performance.now();
  cpu0 = cpuNow();
  stream.on('data', (m) => {
    pending.push(m);
    if (pending.length === 1) setImmediate(() => void flush());
  });
  stream.on('error', (err) => {
    failure = err;
    done(performance.now());
  });
  try {
    if (pipe) {
      let pipeCpu0 = 0;
      const fill = await watchFill(ctx.admin, out, records, 300_000, () => (pipeCpu0 = cpuNow()));
      const cpu = cpuNow() - pipeCpu0;
      return { ...fill, meanBatch: count / batches, cpuSecPer1000: (cpu / fill.counted) * 1000 };
    }
    const t1 = await withTimeout(finished, 300_000, '@platformatic/kafka consumer');
    if (failure) throw failure;
    return consumerRate(count, batches, t0, t1, cpuNow() - cpu0);
  } finally {
    await stream.close().catch(() => undefined);
    await consumer.close(true).catch(() => undefined);
    await producer?.close().catch(() => undefined);
  }
}
