/**
 * Where a process reads the time: epoch milliseconds. Injected into the services so a test
 * can move time (join timeouts, dedupe expiry) without waiting for it.
 */
export type Clock = () => number;

/** The system clock. */
export const systemClock: Clock = () => Date.now();
