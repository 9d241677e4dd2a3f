import type { IncomingRecord } from './types.js';

/** The records fetched for one partition and not handled yet. */
interface PartitionBuffer {
  topic: string;
  partition: number;
  records: IncomingRecord[];
  bytes: number;
  /** A batch of this partition is being handled. */
  busy: boolean;
  /** Not before this time (ms, `Date.now()`): a failed batch waits its backoff. */
  notBefore: number;
}

/** A batch taken from a {@link PartitionBuffers}: hand it back with `done` or `retry`. */
export interface TakenBatch {
  topic: string;
  partition: number;
  records: IncomingRecord[];
}

const recordBytes = (r: IncomingRecord): number => (r.value?.length ?? 0) + (r.key?.length ?? 0);
const keyOf = (topic: string, partition: number): string => `${topic}:${partition}`;

/**
 * What a stream-based client (one record at a time) needs to behave like kafkajs' `eachBatch`:
 * fetched records buffered per partition, handed out as batches of at most `maxBytes`, one
 * batch per partition at a time (so a partition's records are handled in order), the
 * partitions taken in turn so a busy one does not starve the others. A failed batch goes back
 * to the front of its partition; a partition the group took away is dropped. Pure: no I/O,
 * no timers.
 */
export class PartitionBuffers {
  readonly #parts = new Map<string, PartitionBuffer>();
  #cursor = 0;
  #bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes (keys and values) buffered and not yet handed out. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends a fetched record to its partition's buffer. */
  push(record: IncomingRecord): void {
    const key = keyOf(record.topic, record.partition);
    let part = this.#parts.get(key);
    if (!part) {
      part = { topic: record.topic, partition: record.partition, records: [], bytes: 0, busy: false, notBefore: 0 };
      this.#parts.set(key, part);
    }
    part.records.push(record);
    const size = recordBytes(record);
    part.bytes += size;
    this.#bytes += size;
  }

  /**
   * The next batch to handle at time `now`: from the next partition in turn that has records,
   * is not busy and is not waiting its backoff; at least one record, then up to `maxBytes`.
   * Its partition is busy until {@link done} or {@link retry}.
   */
  take(now: number): TakenBatch | undefined {
    const parts = [...this.#parts.values()];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[(this.#cursor + i) % parts.length];
      if (part.busy || part.records.length === 0 || part.notBefore > now) continue;
      this.#cursor = (this.#cursor + i + 1) % parts.length;
      let n = 0;
      let bytes = 0;
      while (n < part.records.length && (n === 0 || bytes + recordBytes(part.records[n]) <= this.maxBytes)) {
        bytes += recordBytes(part.records[n]);
        n++;
      }
      const records = part.records.splice(0, n);
      part.bytes -= bytes;
      this.#bytes -= bytes;
      part.busy = true;
      return { topic: part.topic, partition: part.partition, records };
    }
    return undefined;
  }

  /** The batch was handled: its partition may hand out the next one. */
  done(batch: TakenBatch): void {
    const part = this.#parts.get(keyOf(batch.topic, batch.partition));
    if (part) part.busy = false;
  }

  /**
   * The batch failed: its records go back to the front of their partition, handed out again
   * not before `notBefore`. Dropped when the partition was taken away meanwhile.
   */
  retry(batch: TakenBatch, notBefore: number): void {
    const part = this.#parts.get(keyOf(batch.topic, batch.partition));
    if (!part) return;
    part.busy = false;
    part.notBefore = notBefore;
    part.records.unshift(...batch.records);
    const bytes = batch.records.reduce((sum, r) => sum + recordBytes(r), 0);
    part.bytes += bytes;
    this.#bytes += bytes;
  }

  /** The earliest time a waiting partition may hand out a batch again, if one waits. */
  nextRetryAt(now: number): number | undefined {
    let at: number | undefined;
    for (const part of this.#parts.values()) {
      if (part.records.length > 0 && !part.busy && part.notBefore > now) at = Math.min(at ?? Infinity, part.notBefore);
    }
    return at;
  }

  /** Keeps only the partitions of `assignment` (after a rebalance); returns the dropped ones. */
  keepOnly(assignment: Record<string, number[]>): string[] {
    const dropped: string[] = [];
    for (const [key, part] of this.#parts) {
      if (assignment[part.topic]?.includes(part.partition)) continue;
      this.#bytes -= part.bytes;
      this.#parts.delete(key);
      dropped.push(key);
    }
    return dropped;
  }

  /** Whether `topic`/`partition` is still one of the buffered (assigned) partitions. */
  has(topic: string, partition: number): boolean {
    return this.#parts.has(keyOf(topic, partition));
  }

  /** Drops every buffered record (stopping). */
  clear(): void {
    this.#parts.clear();
    this.#bytes = 0;
  }
}
