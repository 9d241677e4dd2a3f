import type { AdminClient } from '../kafka/types.js';

/** Lag of one partition for one consumer group. */
export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  /** Next offset the group will read; null when it has committed nothing. */
  committed: string | null;
  /** The partition's end offset (high watermark). */
  end: string;
  /** Records between the committed offset (or the start when none) and the end. */
  lag: number;
}

/** Lag of a group on a topic, with its total. */
export interface GroupLag {
  group: string;
  topic: string;
  partitions: PartitionLag[];
  total: number;
}

/**
 * Lag of `group` on `topic`, per partition: end offset minus committed offset. A partition
 * the group never committed counts from its earliest offset, which is where a new group starts,
 * as does one whose records retention deleted past the commit (the group reads on from there).
 */
export async function groupLag(admin: AdminClient, group: string, topic: string): Promise<GroupLag> {
  const [committed, ends, earliest] = await Promise.all([
    admin.fetchCommittedOffsets(group, topic),
    admin.fetchEndOffsets(topic),
    admin.fetchOffsetsByTime(topic, 0),
  ]);
  const committedBy = new Map(committed.map((c) => [c.partition, c.offset]));
  const earliestBy = new Map(earliest.map((e) => [e.partition, e.offset]));
  const partitions = ends
    .map(({ partition, offset: end }): PartitionLag => {
      const c = committedBy.get(partition);
      const has = c !== undefined && c !== '-1';
      const start = BigInt(earliestBy.get(partition) ?? '0');
      const from = has && BigInt(c) > start ? BigInt(c) : start;
      const lag = BigInt(end) - from;
      return { group, topic, partition, committed: has ? c : null, end, lag: Number(lag > 0n ? lag : 0n) };
    })
    .sort((a, b) => a.partition - b.partition);
  return { group, topic, partitions, total: partitions.reduce((sum, p) => sum + p.lag, 0) };
}
