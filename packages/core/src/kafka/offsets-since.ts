/** Offsets of a topic's partitions, by partition; `-1` where the broker knows none. */
export type OffsetsByPartition = ReadonlyMap<number, bigint>;

/** Where a read of a partition's records since a time starts (inclusive) and ends (exclusive). */
export interface ReadRange {
  from: bigint;
  end: bigint;
}

/**
 * The range of each partition a read of the records since a time covers, from two lookups of
 * a client: its end offsets, then its offsets by time. The order is the rule: the end offset
 * is asked *first*. Where the lookup by time then finds no record that recent (`-1`), none
 * lies before that end either, and the read starts at the end. Asked after (or at once), a
 * record written in between would lie before the end given, and a reader starting there
 * would skip it. (kafkajs's own lookup by time asks its end offset first too.)
 */
export async function rangesSince(
  endOffsets: () => Promise<OffsetsByPartition>,
  offsetsByTime: () => Promise<OffsetsByPartition>,
): Promise<Map<number, ReadRange>> {
  const ends = await endOffsets();
  const byTime = await offsetsByTime();
  return new Map(
    [...byTime].map(([partition, at]) => {
      const end = ends.get(partition) ?? 0n;
      return [partition, { from: at < 0n ? end : at, end }];
    }),
  );
}
