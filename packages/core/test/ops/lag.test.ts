import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/kafka/types.js';
import { groupLag } from '../../src/ops/lag.js';

const offsets = (...list: Array<[number, string]>) => list.map(([partition, offset]) => ({ partition, offset }));

describe('the lag of a group', () => {
  it('counts from where the group reads next: its commit, or the start of what retention kept', async () => {
    const admin = {
      // 0: committed at 5; 1: never committed; 2: committed at 1, records below 4 deleted.
      fetchCommittedOffsets: () => Promise.resolve(offsets([0, '5'], [1, '-1'], [2, '1'])),
      fetchEndOffsets: () => Promise.resolve(offsets([0, '9'], [1, '9'], [2, '9'])),
      fetchOffsetsByTime: () => Promise.resolve(offsets([0, '0'], [1, '2'], [2, '4'])),
    } as unknown as AdminClient;
    const lag = await groupLag(admin, 'g', 't');
    expect(lag.partitions.map((p) => [p.partition, p.committed, p.lag])).toEqual([
      [0, '5', 4],
      [1, null, 7],
      [2, '1', 5],
    ]);
    expect(lag.total).toBe(16);
  });
});
