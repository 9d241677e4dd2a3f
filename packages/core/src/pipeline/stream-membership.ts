import type { BatchControl, ProducerClient, RecordBatch } from '../kafka/types.js';
import type { StreamRun } from './stream-run.js';

/** The client joined the group with assignment `a` as member `id`. */
export function onGroupJoin(run: StreamRun, a: Record<string, number[]>, id: string): void {
  const continued = run.memberId !== undefined && id === run.memberId;
  run.memberId = id;
  run.joined = true;
  run.assignment = a;
  run.log.info({ assignment: a, memberId: id, continued }, 'joined the consumer group');
  run.options.metrics?.rebalances.inc();
  run.options.metrics?.retainLag(a);
  const generation = ++run.assignments;
  const work = run.options.onAssignment?.(a, { continued });
  run.settled = work === undefined;
  void work
    ?.catch((err: unknown) => run.log.warn({ err }, 'the work of the new assignment failed'))
    .finally(() => {
      if (generation === run.assignments) run.settled = true;
    });
}

/**
 * The batch handler, timing the batches in hand (`fleet_batch_running_seconds`) and noting a
 * batch fetched after a crash and handled without a rejoin.
 */
export function handlerOf(
  run: StreamRun,
  p: ProducerClient,
): (batch: RecordBatch, control: BatchControl) => Promise<void> {
  const handle = run.options.handler(p);
  return async (batch, control) => {
    const crashesBefore = run.crashes;
    const handled = run.options.metrics?.batchStarted();
    try {
      await handle(batch, control);
    } finally {
      handled?.();
    }
    if (run.joined || crashesBefore !== run.crashes || run.state !== 'running') return;
    run.joined = true;
    run.log.info({ assignment: run.assignment }, 'the client kept the member in its group after the crash');
    run.options.onMembershipKept?.();
  };
}
