import { describe, expect, it } from 'vitest';
import { PartitionBuffers } from '../../src/kafka/partition-buffers.js';
import type { IncomingRecord } from '../../src/kafka/types.js';

const rec = (partition: number, offset: number, bytes = 10): IncomingRecord => ({
  topic: 't',
  partition,
  offset: String(offset),
  key: null,
  value: Buffer.alloc(bytes),
  headers: {},
  timestamp: 0,
});

const offsets = (batch: { records: IncomingRecord[] } | undefined): string[] =>
  batch?.records.map((r) => r.offset) ?? [];

describe('PartitionBuffers', () => {
  it('hands out one batch per partition at a time, in offset order, up to maxBytes', () => {
    const buffers = new PartitionBuffers(25);
    for (const o of [0, 1, 2]) buffers.push(rec(0, o));
    const first = buffers.take(0);
    expect(offsets(first)).toEqual(['0', '1']);
    expect(buffers.take(0)).toBeUndefined();
    buffers.done(first!);
    expect(offsets(buffers.take(0))).toEqual(['2']);
  });

  it('hands out a record larger than maxBytes alone rather than never', () => {
    const buffers = new PartitionBuffers(5);
    buffers.push(rec(0, 0, 50));
    buffers.push(rec(0, 1, 50));
    expect(offsets(buffers.take(0))).toEqual(['0']);
  });

  it('takes the partitions in turn, so a busy one does not starve the others', () => {
    const buffers = new PartitionBuffers(10);
    for (const p of [0, 1, 2]) for (const o of [0, 1]) buffers.push(rec(p, o));
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      const batch = buffers.take(0)!;
      order.push(batch.partition);
      buffers.done(batch);
    }
    expect(order).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('puts a failed batch back at the front of its partition, after its backoff', () => {
    const buffers = new PartitionBuffers(10);
    for (const o of [0, 1]) buffers.push(rec(0, o));
    const failed = buffers.take(0)!;
    buffers.retry(failed, 1000);
    expect(buffers.take(999)).toBeUndefined();
    expect(buffers.nextRetryAt(999)).toBe(1000);
    expect(offsets(buffers.take(1000))).toEqual(['0']);
  });

  it('drops the partitions a rebalance took away, with their bytes and their failed batches', () => {
    const buffers = new PartitionBuffers(100);
    for (const p of [0, 1]) buffers.push(rec(p, 0));
    const inFlight = buffers.take(0)!;
    expect(buffers.keepOnly({ t: [1] })).toEqual(['t:0']);
    buffers.retry(inFlight, 0);
    expect(buffers.bytes).toBe(10);
    expect(buffers.take(0)?.partition).toBe(1);
    expect(buffers.take(0)).toBeUndefined();
  });

  // Regression: after a join that keeps a partition, the library reads it again from its
  // committed offset; those records went behind the ones still buffered (offsets going
  // backward, records handled twice, a commit moved back).
  it('drops records of a kept partition read again after a join, up to the last one pushed', () => {
    const buffers = new PartitionBuffers(20);
    for (const o of [0, 1, 2, 3]) buffers.push(rec(0, o));
    const handled = buffers.take(0)!;
    expect(offsets(handled)).toEqual(['0', '1']);
    buffers.done(handled);
    expect(buffers.keepOnly({ t: [0] })).toEqual([]);
    const pushed = [0, 1, 2, 3, 4, 5].map((o) => buffers.push(rec(0, o)));
    const seen: string[] = [];
    for (let batch = buffers.take(0); batch; batch = buffers.take(0)) {
      seen.push(...offsets(batch));
      buffers.done(batch);
    }
    expect(seen).toEqual(['2', '3', '4', '5']);
    expect(pushed).toEqual([false, false, false, false, true, true]);
  });

  // Regression: a fetch answered after the join that took a partition away re-created its
  // buffer, and its records were handled by a member that no longer owns them.
  it('ignores records of partitions the last join did not assign', () => {
    const buffers = new PartitionBuffers(100);
    buffers.push(rec(0, 0));
    buffers.keepOnly({ t: [1] });
    const pushed = [buffers.push(rec(0, 1)), buffers.push(rec(1, 0))];
    expect(buffers.has('t', 0)).toBe(false);
    expect(buffers.bytes).toBe(10);
    expect(buffers.take(0)?.partition).toBe(1);
    expect(buffers.take(0)).toBeUndefined();
    expect(pushed).toEqual([false, true]);
  });

  // Regression: done and retry found the buffer by partition, so a batch out when its
  // partition was taken away (and given back) freed or refilled the new buffer: two batches
  // of one partition at once, and old records in front of the new ones.
  it.each(['done', 'retry'] as const)(
    'lets a batch of a partition taken away and given back touch only the buffer it came from (%s)',
    (handBack) => {
      const buffers = new PartitionBuffers(10);
      for (const o of [0, 1]) buffers.push(rec(0, o));
      const old = buffers.take(0)!;
      buffers.keepOnly({});
      buffers.keepOnly({ t: [0] });
      for (const o of [0, 1, 2]) buffers.push(rec(0, o));
      // Not while the old batch is out: one partition's batches never run at once.
      expect(buffers.take(0)).toBeUndefined();
      if (handBack === 'done') buffers.done(old);
      else buffers.retry(old, 0);
      expect(buffers.bytes).toBe(30);
      const next = buffers.take(0)!;
      expect(offsets(next)).toEqual(['0']);
      expect(buffers.take(0)).toBeUndefined();
      buffers.done(next);
      expect(offsets(buffers.take(0))).toEqual(['1']);
    },
  );
});
