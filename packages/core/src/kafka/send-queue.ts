/**
 * One request in flight at a time, the sends that arrive meanwhile coalesced into the next
 * one in arrival order: what both producer adapters need (an idempotent producer must not
 * interleave the sequence numbers of one partition, and batches of several partitions
 * handled at once then cost one produce round trip, not one each). The first request waits
 * for the end of the current turn of the event loop, so that the batches of one fetch,
 * whose model call resolves them all in one turn, share it: sent at once, the first
 * batch's send went alone and the others waited for its acknowledgement.
 */
export interface SendQueue<T> {
  /** Queues `items` for the next request; resolves once that request is acknowledged. */
  send(items: readonly T[]): Promise<void>;
  /** Resolves once nothing is in flight (before disconnecting). */
  idle(): Promise<void>;
}

/** Resolves once the current turn of the event loop has run its callbacks and promises. */
const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A {@link SendQueue} over `sendNow`, which sends one request of every item waiting. A
 * failed request fails each of its callers (their batches are handled and sent again).
 */
export function createSendQueue<T>(sendNow: (items: T[]) => Promise<void>): SendQueue<T> {
  let waiting: Array<{ items: readonly T[]; resolve: () => void; reject: (err: unknown) => void }> = [];
  let inFlight: Promise<void> | undefined;

  async function drain(): Promise<void> {
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      try {
        await sendNow(group.flatMap((p) => p.items));
        for (const p of group) p.resolve();
      } catch (err) {
        for (const p of group) p.reject(err);
      }
    }
    inFlight = undefined;
  }

  return {
    send(items) {
      if (items.length === 0) return Promise.resolve();
      const sent = new Promise<void>((resolve, reject) => waiting.push({ items, resolve, reject }));
      inFlight ??= endOfTurn().then(drain);
      return sent;
    },
    idle: async () => {
      await inFlight;
    },
  };
}
