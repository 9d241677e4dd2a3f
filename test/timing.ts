/**
 * Bounds for the waits of the tests that run services against the real broker. A wait's
 * deadline is derived from the configuration it depends on (a session or join timeout the
 * test sets, a client's default), plus one {@link WORK_ALLOWANCE_MS} where the machine does
 * the work; a test's timeout is the sum of its waits ({@link testTimeoutMs}), so a wait that
 * runs out fails with its own message, inside its test.
 */

/**
 * kafkajs' rebalance timeout, which the fleet and the tests leave at its default: a
 * rebalance, a group's first join included, waits at most this long for its members.
 */
export const REBALANCE_TIMEOUT_MS = 60_000;

/**
 * Room for work whose length is the machine's: a service process starting, the models
 * loading, a few hundred rides scored and joined, a topic read back. Not a speed claim
 * (speed is `npm run bench`'s): a generous bound, added once to a wait, so that a hang fails
 * with that wait's message.
 */
export const WORK_ALLOWANCE_MS = 30_000;

/**
 * A service process launched fresh until its /readyz answers: a cold `node --import tsx`,
 * the models loaded and warmed (the online service merges their graphs), the schemas looked
 * up, its groups joined.
 */
export const SERVICE_START_MS = 90_000;

/** How long `readTopic` (test/faults/lib/audit.ts) reads a topic to its end, once its group joined. */
export const READ_TOPIC_MS = 60_000;

/** Reading a whole topic back in a new group: the group's first join, then the read. */
export const READ_BACK_MS = REBALANCE_TIMEOUT_MS + READ_TOPIC_MS;

/** Room for the steps of a test that do not wait (a publish, a signal, a file read). */
const STEP_MARGIN_MS = 10_000;

/** A test or hook timeout that holds the given waits, each at its longest, and the steps between them. */
export function testTimeoutMs(...waitsMs: number[]): number {
  return waitsMs.reduce((sum, ms) => sum + ms, STEP_MARGIN_MS);
}
