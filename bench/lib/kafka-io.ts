/** Filling topics with real rides, and watching a topic fill up (throughput from end offsets). */
import { loadSchema, valueSubject, type RideStarted } from '@fleet/contract';
import { createSerde, type AdminClient } from '@fleet/core';
import type { BenchContext } from './context.js';

/** Rides made from the templates with fresh ids (`<prefix>-<n>`), event_time now. */
export function makeRides(templates: readonly RideStarted[], count: number, prefix: string): RideStarted[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, n) => ({
    ...templates[n % templates.length],
    ride_id: `${prefix}-${n}`,
    event_time: now,
  }));
}

/**
 * Writes `count` real rides (Avro, wire format, keyed by ride_id) to `topic` through the
 * fleet's producer; resolves to the mean record value size in bytes.
 */
export async function fillRides(ctx: BenchContext, topic: string, count: number): Promise<{ valueBytes: number }> {
  const serde = await createSerde<RideStarted>(ctx.registry, valueSubject(topic), loadSchema('ride_started'));
  const producer = await ctx.kafka.producer();
  const chunk = 5000;
  let bytes = 0;
  try {
    for (let from = 0; from < count; from += chunk) {
      const rides = makeRides(ctx.templates, Math.min(chunk, count - from), `fill-${from}`);
      const records = rides.map((r) => ({ key: r.ride_id, value: serde.encode(r) }));
      for (const r of records) bytes += r.value.length;
      await producer.send([{ topic, records }]);
    }
  } finally {
    await producer.disconnect();
  }
  return { valueBytes: bytes / count };
}

/** Sum of a topic's end offsets: records written so far. */
export async function endTotal(admin: AdminClient, topic: string): Promise<number> {
  const offsets = await admin.fetchEndOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.offset), 0);
}

/** Throughput of a topic filling up, as seen by polling its end offsets. */
export interface FillRate {
  /** Records per second from the window's opening (past the warm-up) to the poll that saw all. */
  ratePerSec: number;
  /** Seconds of that window. */
  seconds: number;
  records: number;
  /** Records written in the window (what the rate counts). */
  counted: number;
}

/**
 * Polls `topic`'s end offsets every `intervalMs` (20 ms) until `expected` records are there (or the
 * deadline), and measures the steady rate: from the first poll that saw `warmupFraction` of
 * them (a quarter) to the poll that saw them all. What came before is not counted: the
 * start-up (group join, first fetch) and the warm-up of a fresh process (its code still
 * being compiled), so a service started for the measurement and a pipe in a process that
 * ran before are compared at their steady state. `onFirst` is called when the window opens.
 */
export async function watchFill(
  admin: AdminClient,
  topic: string,
  expected: number,
  timeoutMs: number,
  onFirst?: () => void,
  intervalMs = 20,
  warmupFraction = 0.25,
): Promise<FillRate> {
  const deadline = Date.now() + timeoutMs;
  const opensAt = Math.max(1, Math.floor(expected * warmupFraction));
  let first: { t: number; n: number } | undefined;
  let n = 0;
  for (;;) {
    n = await endTotal(admin, topic);
    const t = performance.now();
    if (n >= opensAt && !first) {
      first = { t, n };
      onFirst?.();
    }
    if (n >= expected || Date.now() > deadline) {
      if (n < expected) throw new Error(`${topic}: only ${n} of ${expected} records after ${timeoutMs / 1000} s`);
      const seconds = first && t > first.t ? (t - first.t) / 1000 : Number.NaN;
      const counted = n - (first?.n ?? n);
      return { ratePerSec: counted / seconds, seconds, records: n, counted };
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
