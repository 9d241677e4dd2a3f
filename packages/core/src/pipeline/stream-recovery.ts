import { isAccessError } from '../kafka/access.js';
import { handlerOf, onGroupJoin } from './stream-membership.js';
import { fail, type StreamRun } from './stream-run.js';

/** The consumer crashed; `restarting` says whether its client restarts it itself. */
export function onCrash(run: StreamRun, err: unknown, restarting: boolean): void {
  run.options.metrics?.errors.inc({ code: errorCode(err) });
  run.crashes++;
  run.joined = false;
  run.options.metrics?.retainLag({});
  run.options.onMembershipLost?.();
  run.backoff.crashed();
  if (isAccessError(err)) return fail(run, err);
  run.log.error({ err, restarting }, 'consumer crashed; not ready until it joins its group again');
  if (!restarting && run.state === 'running') void recover(run);
}

/** Makes the producer and the consumer, and runs the consumer until it stops or crashes. */
export async function connectAndRun(run: StreamRun): Promise<void> {
  const { options } = run;
  // A stop asked for while a client is being made does not wait for it (a broker away
  // makes that take minutes): what is made after the stop is closed here, never run.
  const made = await options.kafka.producer();
  if (options.outputTopics.length > 0 && run.stopping === undefined) await made.prepare(options.outputTopics);
  if (run.stopping !== undefined) return made.disconnect().catch(() => undefined);
  run.producer = made;
  // A new consumer joins as a new member: nothing it had before is known to be its own.
  run.memberId = undefined;
  const joining = await options.kafka.consumer({
    ...options.consumer,
    onGroupJoin: (a, id) => onGroupJoin(run, a, id),
    onCrash: (err, restarting) => onCrash(run, err, restarting),
  });
  // Stopped meanwhile: the stop closed the producer, this consumer is closed here.
  if (run.stopping !== undefined) return joining.disconnect().catch(() => undefined);
  run.consumer = joining;
  run.backoff.started();
  options.onStart?.(made);
  await joining.run([options.inputTopic].flat(), handlerOf(run, made));
  // kafkajs reports a failed first join as a crash, not from run().
  if (run.failure) throw run.failure;
  run.log.info({ topic: options.inputTopic, groupId: options.consumer.groupId }, 'consuming');
}

/** Re-creates the crashed clients after a backoff, and again after a failed attempt. */
async function recover(run: StreamRun): Promise<void> {
  run.state = 'recovering';
  run.joined = false;
  run.options.onMembershipLost?.();
  const { delayMs, attempt } = run.backoff.next();
  run.log.warn({ delayMs, attempt }, 're-creating the consumer and producer after a crash');
  // The crashed clients may already be half closed; their errors say nothing new.
  await run.consumer
    ?.disconnect()
    .catch((err: unknown) => run.log.debug({ err }, 'closing the crashed consumer failed'));
  await run.producer?.disconnect().catch((err: unknown) => run.log.debug({ err }, 'closing the old producer failed'));
  run.consumer = undefined;
  run.producer = undefined;
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  if (run.state !== 'recovering') return;
  try {
    run.state = 'running';
    await connectAndRun(run);
  } catch (err) {
    if (isAccessError(err)) return fail(run, err);
    run.log.error({ err }, 'recovery failed; trying again');
    if (run.state === 'running') void recover(run);
  }
}

/** The fleet code of an error, or the foreign error's name (e.g. KafkaJSConnectionError). */
function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | null;
  if (typeof e?.code === 'string' && e.code.startsWith('FLEET_')) return e.code;
  return typeof e?.name === 'string' ? e.name : 'unknown';
}
