import { partitionKey } from './partition-buffers.js';

/** The offset of one partition's last handled record. */
export interface PartitionOffset {
  topic: string;
  partition: number;
  /** Offset of the last handled record (the commit is for the one after it). */
  offset: string;
}

/**
 * Least time between two OffsetCommits of a fleet consumer unless configured otherwise: a
 * few commits a second instead of one per batch, and a crash reads at most this much again.
 */
export const DEFAULT_COMMIT_INTERVAL_MS = 200;

/** Options of {@link createCommitQueue}. */
export interface CommitQueueOptions {
  /**
   * Least time from the start of one OffsetCommit to the start of the next. 0 commits as
   * soon as the previous one returned. @default 0
   */
  minIntervalMs?: number;
}

/** Commits handed in by batch handlers, sent to the group coordinator in few requests. */
export interface CommitQueue {
  /**
   * Records `offset` as handled. Resolves at once, or with `wait` once the commit that
   * carries it returned (a graceful stop, before the group is left).
   */
  commit(offset: PartitionOffset, wait: boolean): Promise<void>;
  /** Sends what is pending now, without waiting for the interval (a graceful stop); resolves once it returned. */
  flushNow(): Promise<void>;
  /**
   * The group was joined with `assignment`: offsets pending for other partitions are dropped
   * (their new owner commits them), and the rest, refused meanwhile, are sent again.
   */
  retain(assignment: Record<string, number[]>): void;
  /** Resolves once no OffsetCommit is in flight or waiting for the interval. */
  idle(): Promise<void>;
}

/**
 * Commits are not waited for while running, so the next batch does not pay a round trip
 * for them. One OffsetCommit is in flight at a time, and at most one per `minIntervalMs`;
 * the offsets handed in meanwhile (one per partition, the latest wins, as a partition's
 * batches come in order) go together in the next one. A crash loses at most the commits
 * of that interval: their records are read again (at-least-once). `commitNow` reports its
 * own failures and rejects: the offsets of a refused commit are put back, unless a newer
 * one of their partition is pending or the partition was taken away, and go with the next
 * commit, the next join ({@link CommitQueue.retain}: a commit refused during a rebalance
 * lands once it is over) or the stop's flush.
 */
export function createCommitQueue(
  commitNow: (offsets: PartitionOffset[]) => Promise<void>,
  options: CommitQueueOptions = {},
): CommitQueue {
  const minIntervalMs = options.minIntervalMs ?? 0;
  const pending = new Map<string, PartitionOffset>();
  // The partitions of the last join; until the first one, any.
  let assigned: Set<string> | undefined;
  let flushing: Promise<void> | undefined;
  let lastStartedAt = Number.NEGATIVE_INFINITY;
  // Set once a commit must land now (a graceful stop): from then on nothing waits for the interval.
  let urgent = false;
  let hurry: (() => void) | undefined;

  async function flush(): Promise<void> {
    while (pending.size > 0) {
      const waitMs = lastStartedAt + minIntervalMs - Date.now();
      if (waitMs > 0 && !urgent) await pause(waitMs);
      // A join may have taken away every partition pending meanwhile (retain).
      if (pending.size === 0) break;
      const offsets = [...pending.values()];
      pending.clear();
      lastStartedAt = Date.now();
      try {
        await commitNow(offsets);
      } catch {
        // With what was handed in meanwhile, or else the next commit, join or stop: not in a
        // loop against a coordinator that refuses.
        const handedInMeanwhile = pending.size > 0;
        putBack(offsets);
        if (!handedInMeanwhile) break;
      }
    }
    flushing = undefined;
  }

  function putBack(offsets: PartitionOffset[]): void {
    for (const offset of offsets) {
      const key = partitionKey(offset.topic, offset.partition);
      if (!pending.has(key) && (!assigned || assigned.has(key))) pending.set(key, offset);
    }
  }

  /** Waits `ms`, or less if a commit that must land now comes in (a graceful stop). */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        hurry = undefined;
        resolve();
      }
      hurry = done;
    });
  }

  function send(): Promise<void> {
    if (pending.size > 0) flushing ??= flush();
    return flushing ?? Promise.resolve();
  }

  function flushNow(): Promise<void> {
    urgent = true;
    hurry?.();
    return send();
  }

  return {
    commit(offset, wait) {
      pending.set(partitionKey(offset.topic, offset.partition), offset);
      void send();
      return wait ? flushNow() : Promise.resolve();
    },
    flushNow,
    retain(assignment) {
      assigned = new Set(
        Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => partitionKey(topic, p))),
      );
      for (const key of pending.keys()) if (!assigned.has(key)) pending.delete(key);
      void send();
    },
    idle: () => flushing ?? Promise.resolve(),
  };
}
