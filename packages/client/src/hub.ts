import { FleetError } from '@fleet/contract';
import type { ReceivedDecision } from './decisions.js';

/** Hands each received decision to the calls waiting for its ride and to the subscribers. */
export interface DecisionHub {
  offer(decision: ReceivedDecision): void;
  /** The ride's decision: at once if it arrived already (and is still remembered), else when it does. */
  wait(rideId: string, timeoutMs: number): Promise<ReceivedDecision>;
  subscribe(onDecision: (decision: ReceivedDecision) => void): () => void;
  /** Rejects every waiting call with FLEET_CLIENT_CLOSED. */
  close(): void;
}

interface Waiter {
  resolve: (decision: ReceivedDecision) => void;
  reject: (err: FleetError) => void;
}

/** A hub remembering the last `remember` decisions, for calls made after their decision arrived. */
export function createDecisionHub(remember: number): DecisionHub {
  const recent = new Map<string, ReceivedDecision>();
  const waiting = new Map<string, Set<Waiter>>();
  const subscribers = new Set<(decision: ReceivedDecision) => void>();
  return {
    offer(decision) {
      if (!recent.has(decision.ride_id)) {
        recent.set(decision.ride_id, decision);
        if (recent.size > remember) recent.delete(recent.keys().next().value!);
      }
      for (const w of waiting.get(decision.ride_id) ?? []) w.resolve(decision);
      waiting.delete(decision.ride_id);
      for (const s of subscribers) s(decision);
    },
    wait(rideId, timeoutMs) {
      const known = recent.get(rideId);
      if (known) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const set = waiting.get(rideId) ?? new Set<Waiter>();
        waiting.set(rideId, set);
        const done = () => {
          clearTimeout(timer);
          set.delete(waiter);
          if (set.size === 0 && waiting.get(rideId) === set) waiting.delete(rideId);
        };
        const waiter: Waiter = {
          resolve: (d) => (done(), resolve(d)),
          reject: (err) => (done(), reject(err)),
        };
        const timer = setTimeout(
          () =>
            waiter.reject(
              new FleetError('FLEET_DECISION_TIMEOUT', `no decision for ride ${rideId} within ${timeoutMs} ms`, {
                context: { ride_id: rideId, timeoutMs },
              }),
            ),
          timeoutMs,
        );
        set.add(waiter);
      });
    },
    subscribe(onDecision) {
      subscribers.add(onDecision);
      return () => subscribers.delete(onDecision);
    },
    close() {
      const closed = new FleetError('FLEET_CLIENT_CLOSED', 'the fleet client was closed while waiting for a decision');
      for (const set of [...waiting.values()]) for (const w of [...set]) w.reject(closed);
      subscribers.clear();
    },
  };
}
