import { noTracing, traceProduce, type ProducerClient } from '@fleet/core';
import { settle, type DecisionState } from './decision-state.js';

/**
 * A process paused for half its session timeout or more (SIGSTOP, a suspended VM, a long
 * GC pause) may have been dropped from its group, and its partitions' rides decided by
 * their new owner meanwhile. Its joins then time out only once the group said which
 * partitions are still its own (the next assignment), or a session timeout later (it was
 * not dropped): never at once on waking, before it heard of the rebalance.
 */
export function noticePause(s: DecisionState): void {
  const at = performance.now();
  const pausedMs = at - s.aliveAt;
  s.aliveAt = at;
  if (pausedMs < s.config.sessionTimeoutMs / 2) return;
  s.table.holdExpiry(s.clock() + s.config.sessionTimeoutMs);
  s.log.warn(
    { pausedMs: Math.round(pausedMs), holdMs: s.config.sessionTimeoutMs },
    'the process was paused: no degraded decision until the group says which partitions are still its own',
  );
}

/** Forgets old decided rides, and publishes a degraded decision for each join that timed out. */
async function expireIdle(s: DecisionState): Promise<void> {
  const now = s.clock();
  s.table.prune(now);
  const due = s.table.expire(now);
  if (due.length === 0 || !s.producer) return;
  const outputs = [{ topic: s.config.topicDecisions, records: due.map(s.toRecord) }];
  const produced = traceProduce(s.deps.tracing ?? noTracing, outputs);
  try {
    await s.producer.send(outputs);
  } catch (err) {
    produced(err);
    s.table.reopen(due.map((d) => d.ride_id));
    throw err;
  }
  produced();
  s.deps.metrics?.produced.inc(due.length);
  settle(s, due);
  s.log.info({ count: due.length }, 'degraded decisions after the join timeout');
}

/** Times the joins out with producer `p`, a fraction of the join timeout apart. */
export function startExpiryTimer(s: DecisionState, p: ProducerClient): void {
  // Called again with a new producer after the service recovered from a crash.
  clearInterval(s.timer);
  s.producer = p;
  s.aliveAt = performance.now(); // connecting is no pause
  const every = Math.max(10, Math.min(250, Math.floor(s.config.joinTimeoutMs / 4)));
  s.timer = setInterval(() => {
    noticePause(s);
    expireIdle(s).catch((err: unknown) => s.log.error({ err }, 'failed to publish degraded decisions; retrying'));
  }, every);
}

/** Stops the timer, and publishes the degraded decisions due now. */
export async function stopExpiryTimer(s: DecisionState): Promise<void> {
  clearInterval(s.timer);
  await expireIdle(s).catch((err: unknown) =>
    s.log.warn({ err }, 'could not publish the degraded decisions due at shutdown; the next owner decides them'),
  );
}
