/**
 * Delay before a service (or the backend's decision listener) re-creates a consumer that
 * crashed for good, growing to 30 s.
 */
export const RECOVERY_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];

/**
 * How long a consumer runs without crashing before the next crash's recovery waits the
 * first delay again. Not reset by a join: a batch that crashes the consumer right after
 * every join would otherwise rebalance the group once a second.
 */
export const RECOVERY_STABLE_MS = 60_000;

/** The backoff between attempts to re-create a consumer that crashed for good. */
export interface RecoveryBackoff {
  /** A consumer was made: its stretch without a crash counts from now. */
  started(): void;
  /** The consumer crashed: the delays start over if it ran {@link RECOVERY_STABLE_MS} without one. */
  crashed(): void;
  /** The delay before the next attempt ({@link RECOVERY_DELAYS_MS}), and the attempt's number from 1. */
  next(): { delayMs: number; attempt: number };
}

/** A {@link RecoveryBackoff} at its first delay, its quiet stretch counted from now. */
export function createRecoveryBackoff(): RecoveryBackoff {
  let attempts = 0;
  let quietSince = Date.now();
  return {
    started() {
      quietSince = Date.now();
    },
    crashed() {
      const now = Date.now();
      if (now - quietSince >= RECOVERY_STABLE_MS) attempts = 0;
      quietSince = now;
    },
    next() {
      const delayMs = RECOVERY_DELAYS_MS[Math.min(attempts++, RECOVERY_DELAYS_MS.length - 1)];
      return { delayMs, attempt: attempts };
    },
  };
}
