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
});
