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
  /** Sends what is pending now, without waiting for the interval (a graceful stop); resolves once it landed. */
  flushNow(): Promise<void>;
  /** Resolves once nothing is pending or in flight. */
  idle(): Promise<void>;
}

/**
 * Commits are not waited for while running, so the next batch does not pay a round trip
 * for them. One OffsetCommit is in flight at a time, and at most one per `minIntervalMs`;
 * the offsets handed in meanwhile (one per partition, the latest wins, as a partition's
 * batches come in order) go together in the next one. A crash loses at most the commits
 * of that interval: their records are read again (at-least-once). `commitNow` reports its
 * own failures; a failed commit only means records are read again.
 */
export function createCommitQueue(
  commitNow: (offsets: PartitionOffset[]) => Promise<void>,
  options: CommitQueueOptions = {},
): CommitQueue {
  const minIntervalMs = options.minIntervalMs ?? 0;
  const pending = new Map<string, PartitionOffset>();
  let flushing: Promise<void> | undefined;
  let lastStartedAt = Number.NEGATIVE_INFINITY;
  // Set once a commit must land now (a graceful stop): from then on nothing waits for the interval.
  let urgent = false;
  let hurry: (() => void) | undefined;

  async function flush(): Promise<void> {
    while (pending.size > 0) {
      const waitMs = lastStartedAt + minIntervalMs - Date.now();
      if (waitMs > 0 && !urgent) await pause(waitMs);
      const offsets = [...pending.values()];
      pending.clear();
      lastStartedAt = Date.now();
      await commitNow(offsets);
    }
    flushing = undefined;
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

  function flushNow(): Promise<void> {
    urgent = true;
    hurry?.();
    return flushing ?? Promise.resolve();
  }

  return {
    commit(offset, wait) {
      pending.set(`${offset.topic}\u0000${offset.partition}`, offset);
      flushing ??= flush();
      return wait ? flushNow() : Promise.resolve();
    },
    flushNow,
    idle: () => flushing ?? Promise.resolve(),
  };
}
