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
  /** The offset after the last record pushed: one below it was buffered or handed out already. */
  next: bigint;
}

/** A batch taken from a {@link PartitionBuffers}: hand it back with `done` or `retry`. */
export interface TakenBatch {
  topic: string;
  partition: number;
  records: IncomingRecord[];
}

const recordBytes = (r: IncomingRecord): number => (r.value?.length ?? 0) + (r.key?.length ?? 0);
/** A partition's key, `topic:partition`, as {@link PartitionBuffers.keepOnly} returns them (a topic name has no colon). */
export const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

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
  /** The buffer each batch out was taken from: a batch of a dropped buffer changes no other. */
  readonly #takenFrom = new WeakMap<TakenBatch, PartitionBuffer>();
  /** Buffers dropped while a batch of theirs was out, by partition, until it comes back. */
  readonly #retired = new Map<string, PartitionBuffer>();
  #assigned: Record<string, number[]> | undefined;
  #cursor = 0;
  #bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes (keys and values) buffered and not yet handed out. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends a fetched record to its partition's buffer. Ignored, returning false, when its
   * partition is not in the last {@link keepOnly} assignment (a fetch answered after the
   * group took the partition away), or when a record at its offset was pushed already (the
   * client read the partition again from its committed offset, behind what is buffered).
   */
  push(record: IncomingRecord): boolean {
    if (this.#assigned && !this.#assigned[record.topic]?.includes(record.partition)) return false;
    const key = partitionKey(record.topic, record.partition);
    const offset = BigInt(record.offset);
    let part = this.#parts.get(key);
    if (!part) {
      part = {
        topic: record.topic,
        partition: record.partition,
        records: [],
        bytes: 0,
        busy: false,
        notBefore: 0,
        next: 0n,
      };
      this.#parts.set(key, part);
    } else if (offset < part.next) {
      return false;
    }
    part.next = offset + 1n;
    part.records.push(record);
    const size = recordBytes(record);
    part.bytes += size;
    this.#bytes += size;
    return true;
  }

  /**
   * The next batch to handle at time `now`: from the next partition in turn that has records,
   * is not busy and is not waiting its backoff; at least one record, then up to `maxBytes`.
   * Its partition is busy until {@link done} or {@link retry}.
   */
  take(now: number): TakenBatch | undefined {
    const parts = [...this.#parts.entries()];
    for (let i = 0; i < parts.length; i++) {
      const [key, part] = parts[(this.#cursor + i) % parts.length];
      if (part.busy || part.records.length === 0 || part.notBefore > now || this.#retired.has(key)) continue;
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
      const batch = { topic: part.topic, partition: part.partition, records };
      this.#takenFrom.set(batch, part);
      return batch;
    }
    return undefined;
  }

  /** The batch was handled: its partition may hand out the next one. */
  done(batch: TakenBatch): void {
    const part = this.#handBack(batch);
    if (part) part.busy = false;
  }

  /**
   * The batch failed: its records go back to the front of their partition, handed out again
   * not before `notBefore`. Dropped when the partition was taken away meanwhile, even if it
   * was given back since: its new buffer starts from the committed offset.
   */
  retry(batch: TakenBatch, notBefore: number): void {
    const part = this.#handBack(batch);
    if (!part) return;
    part.busy = false;
    part.notBefore = notBefore;
    part.records.unshift(...batch.records);
    const bytes = batch.records.reduce((sum, r) => sum + recordBytes(r), 0);
    part.bytes += bytes;
    this.#bytes += bytes;
  }

  /** The buffer `batch` was taken from, if it is still the partition's; frees a retired one. */
  #handBack(batch: TakenBatch): PartitionBuffer | undefined {
    const part = this.#takenFrom.get(batch);
    this.#takenFrom.delete(batch);
    if (!part) return undefined;
    const key = partitionKey(part.topic, part.partition);
    if (this.#retired.get(key) === part) this.#retired.delete(key);
    return this.#parts.get(key) === part ? part : undefined;
  }

  /** The earliest time a waiting partition may hand out a batch again, if one waits. */
  nextRetryAt(now: number): number | undefined {
    let at: number | undefined;
    for (const part of this.#parts.values()) {
      if (part.records.length > 0 && !part.busy && part.notBefore > now) at = Math.min(at ?? Infinity, part.notBefore);
    }
    return at;
  }

  /**
   * Keeps only the partitions of `assignment` (after a rebalance), and from now on takes
   * records of those only; returns the dropped ones. A partition dropped while one of its
   * batches is out hands out nothing, should it come back, until that batch is done.
   */
  keepOnly(assignment: Record<string, number[]>): string[] {
    this.#assigned = assignment;
    const dropped: string[] = [];
    for (const [key, part] of this.#parts) {
      if (assignment[part.topic]?.includes(part.partition)) continue;
      this.#bytes -= part.bytes;
      this.#parts.delete(key);
      if (part.busy) this.#retired.set(key, part);
      dropped.push(key);
    }
    return dropped;
  }

  /** Whether `topic`/`partition` is still one of the buffered (assigned) partitions. */
  has(topic: string, partition: number): boolean {
    return this.#parts.has(partitionKey(topic, partition));
  }

  /** Drops every buffered record (stopping). */
  clear(): void {
    this.#parts.clear();
    this.#retired.clear();
    this.#bytes = 0;
  }
}
