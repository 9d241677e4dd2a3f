import { consumerFetchesChannel, type ConsumerGroupJoinPayload } from '@platformatic/kafka';
import type { Logger } from '../logger.js';
import { pump, resumeWhenDrained } from './platformatic-consumer-batches.js';
import {
  assignmentRecord,
  crash,
  createConsumerState,
  type Base,
  type ConsumerState,
} from './platformatic-consumer-state.js';
import { fetchListener, openStream } from './platformatic-consumer-stream.js';
import { toFleetError } from './platformatic-errors.js';
import type { ConsumerClient, ConsumerOptions } from './types.js';

/**
 * The seam's group consumer on @platformatic/kafka, in the shape of kafkajs' `eachBatch`.
 * The library hands over records one at a time from a stream that keeps fetching; they are
 * buffered per partition ({@link PartitionBuffers}) and handed to `handler` as batches, one
 * per partition at a time, up to `partitionsConcurrently` partitions at once. Where the
 * library differs from kafkajs:
 * - It heartbeats on its own timer, whatever the handler does, so `heartbeat()` sends
 *   nothing; it throws when a rebalance began since the batch was handed out (kafkajs'
 *   heartbeat answers REBALANCE_IN_PROGRESS there), so a batch never produces for a
 *   partition another member may already own.
 * - It rejoins at once when a heartbeat hears of a rebalance, without waiting for the
 *   running batches; after the join it re-reads each partition from its committed offset.
 *   A fetch answered after that re-read may still move the position past records buffered
 *   here, so a failed batch is not fetched again: its records go back to the front of
 *   their partition (retried with backoff like kafkajs retries `eachBatch`), and only
 *   partitions the group took away are dropped.
 * - A fetch sent before a join may be answered after it, and the join's re-read brings a
 *   kept partition's records again from its committed offset: records of partitions the
 *   join took away are dropped, and so are a kept partition's below the last one buffered
 *   ({@link PartitionBuffers.push}): a partition's records are handed out in order, once each.
 * - The stream ends on a fetch that failed for good (the broker away past the retries): a
 *   new stream is opened after a backoff, from the committed offsets, buffered records kept.
 *   After `retries` such failures in a row (no fetch answered in between), or on one no
 *   retry fixes, the consumer crashes for good: the service re-creates its clients.
 */
export async function connectPlatformaticConsumer(
  base: Base,
  options: ConsumerOptions,
  log: Logger,
  retries = 8,
): Promise<ConsumerClient> {
  const s = createConsumerState(base, options, log, retries);
  s.consumer.on('consumer:group:join', (payload) => onGroupJoin(s, payload));
  // The library emits `error` when it could not rejoin the group after its retries; without
  // a listener that would end the process. Like a kafkajs crash without restart: the
  // service re-creates the consumer.
  s.consumer.on('error', (err: unknown) =>
    crash(s, toFleetError(err, `stay in group ${options.groupId}`, s.user), false),
  );
  // The high watermark of each partition comes with the fetch answers, which the library
  // does not pass to its records: read them from its diagnostics channel.
  const onFetched = fetchListener(s);
  consumerFetchesChannel.asyncStart.subscribe(onFetched);

  return {
    async run(subscribed, batchHandler) {
      s.topics = subscribed;
      s.handler = batchHandler;
      s.state = 'running';
      try {
        await openStream(s);
      } catch (err) {
        s.state = 'new';
        throw toFleetError(err, `read ${subscribed.join(', ')} in consumer group ${options.groupId}`, s.user);
      }
    },
    async stop() {
      if (s.state === 'stopping') return;
      s.state = 'stopping';
      clearTimeout(s.retryTimer);
      clearTimeout(s.reopenTimer);
      await s.stream?.close().catch((err: unknown) => log.debug({ err }, 'closing the stream failed'));
      await Promise.allSettled([...s.inflight]);
      s.buffers.clear();
      await s.commits.flushNow();
      // Leaves the group now, so its partitions move on without waiting for the session timeout.
      await s.consumer.close().catch((err: unknown) => log.warn({ err }, 'leaving the group failed'));
      options.onStop?.();
    },
    async disconnect() {
      clearTimeout(s.retryTimer);
      clearTimeout(s.reopenTimer);
      consumerFetchesChannel.asyncStart.unsubscribe(onFetched);
      await s.stream?.close().catch((err: unknown) => log.debug({ err }, 'closing the stream failed'));
      await s.consumer.close().catch((err: unknown) => log.debug({ err }, 'closing the consumer failed'));
    },
  };
}

/**
 * A join of the group (the first one or a rebalance): only the partitions it assigned stay
 * buffered and committed, and batches are handed out again.
 */
function onGroupJoin(s: ConsumerState, payload: ConsumerGroupJoinPayload): void {
  const assignment = assignmentRecord(payload.assignments);
  if (s.memberId !== undefined && payload.memberId !== s.memberId) {
    // Its session expired: another member may have handled (and committed past) what it
    // had buffered or not yet committed. All of it goes; the partitions it gets back are
    // read again from their committed offsets.
    s.buffers.keepOnly({});
    s.commits.retain({});
    s.log.warn({ before: s.memberId, now: payload.memberId }, 'back in the group under a new member id');
  }
  s.memberId = payload.memberId;
  for (const key of s.buffers.keepOnly(assignment)) {
    s.failures.delete(key);
    s.log.debug({ partition: key }, 'partition taken away');
  }
  s.commits.retain(assignment);
  s.options.onGroupJoin?.(assignment, payload.memberId);
  resumeWhenDrained(s);
  pump(s);
}
