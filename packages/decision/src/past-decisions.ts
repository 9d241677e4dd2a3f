import type { DecisionState } from './decision-state.js';

/** Reads back the decisions of `partition` written since `fromMs` − the margin. */
async function readBack(
  s: DecisionState,
  partition: number,
  fromMs: number,
  when: 'assignment' | 'first batch',
): Promise<void> {
  const started = s.clock();
  const count = await s.deps.kafka.readPartition(
    s.config.topicDecisions,
    partition,
    fromMs - s.config.restoreMarginMs,
    (record) => {
      if (record.key) s.table.markDecided(record.key.toString(), started);
    },
  );
  s.log.info(
    { partition, decisionsRead: count, ms: s.clock() - started, when },
    'read back past decisions of the partition',
  );
}

/**
 * Before a partition's first batch is joined: the decisions that could concern its rides,
 * those written since the batch's first record − the margin. A read begun at the first
 * assignment covers them when that record is no older than the assignment; else (a
 * backlog) the partition is read again from the record's time.
 */
export async function ensureRestored(s: DecisionState, partition: number, firstRecordMs: number): Promise<void> {
  if (s.restored.has(partition)) return;
  const read = s.early && firstRecordMs >= s.early.at ? s.early.reads.get(partition) : undefined;
  if (!(read && (await read))) await readBack(s, partition, firstRecordMs, 'first batch');
  s.restored.add(partition);
}

/**
 * A fresh process reads its partitions (`mine`) back at its first assignment, not on each
 * one's first batch (on the path of the first rides), and reports ready once done. A later
 * rebalance reads on first batches: its partitions' first records predate it, which a read
 * from now misses.
 */
export function readBackAtAssignment(s: DecisionState, mine: ReadonlySet<number>): Promise<void> {
  // Record timestamps are the producers' wall clock, hence Date.now().
  const at = Date.now();
  const reads = new Map(
    [...mine].map((partition) => [
      partition,
      readBack(s, partition, at, 'assignment').then(
        () => true,
        (err: unknown) => {
          s.log.warn({ err, partition }, 'could not read back past decisions yet; reading them on the first batch');
          return false;
        },
      ),
    ]),
  );
  s.early = { at, reads };
  return Promise.all(reads.values()).then(() => undefined);
}
