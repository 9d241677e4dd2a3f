import { isAccessError } from '../kafka/access.js';
import type { Logger } from '../logger.js';
import type { FleetMetrics } from '../ops/metrics.js';
import type { BatchControl, ConsumerOptions, KafkaClient, ProducerClient, RecordBatch } from '../kafka/types.js';
import { connectAndRun } from './stream-recovery.js';
import { createStreamRun, fail, type StreamRun } from './stream-run.js';

/** A running consumer-group service, as `main.ts` and the tests see it. */
export interface StreamService {
  /** Connects, joins the group and starts consuming; resolves once consuming has begun. */
  start(): Promise<void>;
  /** Stops fetching, finishes the batch in hand, commits, disconnects. Idempotent. */
  stop(): Promise<void>;
  /** Alive and not draining. */
  readonly live: boolean;
  /**
   * Joined its group (has an assignment), done with what the assignment asks first, and not
   * draining. False from a consumer crash until the next join: the client left the group or
   * may have (kafkajs leaves it and rejoins later), and reads nothing meanwhile.
   */
  readonly ready: boolean;
  /** Partitions assigned at the last rebalance, by topic; none from a crash until the next join. */
  readonly assignment: Record<string, number[]>;
  /**
   * Rejects when the service stops for good on an error no retry can fix: the broker refuses
   * its credentials, or an ACL refuses it its group, a topic or a write
   * (FLEET_KAFKA_AUTH_FAILED, FLEET_KAFKA_NOT_AUTHORIZED). Never settles otherwise. A refusal
   * met while starting rejects `start()` too.
   */
  readonly failed: Promise<never>;
}

/** Options of {@link createStreamService}. */
export interface StreamServiceOptions {
  kafka: KafkaClient;
  logger: Logger;
  /** The topic consumed, or several consumed by the one group (the monitor's). */
  inputTopic: string | readonly string[];
  consumer: Omit<ConsumerOptions, 'onGroupJoin' | 'onCrash' | 'onStop'>;
  /**
   * Topics every batch writes to: their metadata is loaded before consuming starts. Not the
   * DLQ (rarely written; a missing one must not hold the start back).
   */
  outputTopics: readonly string[];
  /** Builds the batch handler once the producer is connected. */
  handler: (producer: ProducerClient) => (batch: RecordBatch, control: BatchControl) => Promise<void>;
  /** Counts rebalances and consumer crashes (by error code) when given. */
  metrics?: FleetMetrics;
  /**
   * Called after a rebalance with the new assignment. What it returns, the service does
   * before it reports ready again (consuming goes on meanwhile): e.g. reading back state.
   * The promise should settle; a rejection is logged and does not hold readiness back.
   */
  onAssignment?: (assignment: Record<string, number[]>, membership: Membership) => void | Promise<void>;
  /** Called once connected, before consuming starts (e.g. to start timers). */
  onStart?: (producer: ProducerClient) => void;
  /** Called when stopping, after the consumer stopped and before the producer disconnects. */
  onStop?: () => Promise<void>;
  /**
   * Called when the consumer crashed, and again when the service begins re-creating it: the
   * member may be out of its group and its partitions another member's, until the next join
   * ({@link onAssignment}) or {@link onMembershipKept}.
   */
  onMembershipLost?: () => void;
  /**
   * Called when a batch fetched after a crash was handled with no join in between: the
   * client kept the member in its group (@platformatic/kafka retries a failing batch in
   * place, without rejoining), so the assignment of the last join holds again.
   */
  onMembershipKept?: () => void;
}

/** How a member came by its assignment. */
export interface Membership {
  /**
   * The same member as at the previous join: a partition it had and keeps was its own all
   * along. False at the first join, after the service re-created its consumer, and when the
   * coordinator knows it by a new id: its session expired (a pause, a network cut), and
   * another member may have owned its partitions in between.
   */
  continued: boolean;
}

/**
 * Wires a consumer group, a producer and a batch handler into a {@link StreamService}.
 * kafkajs restarts a consumer after retriable errors only; when it gives up on one, the
 * service re-creates producer and consumer after a backoff, so it never needs a manual restart.
 * A refusal of the broker (credentials, ACLs) is the exception: re-creating the clients would
 * only be refused again, so the service stops and {@link StreamService.failed} says why.
 */
export function createStreamService(options: StreamServiceOptions): StreamService {
  const run = createStreamRun(options);
  return {
    async start() {
      run.state = 'running';
      try {
        await connectAndRun(run);
      } catch (err) {
        if (isAccessError(err)) fail(run, err);
        throw err;
      }
    },
    stop() {
      run.stopping ??= stopNow(run);
      return run.stopping;
    },
    get live() {
      return run.state === 'running' || run.state === 'new' || run.state === 'recovering';
    },
    get ready() {
      return run.state === 'running' && run.joined && run.settled;
    },
    get assignment() {
      return run.joined ? run.assignment : {};
    },
    failed: run.failed,
  };
}

/** Stops fetching, finishes the batch in hand, calls `onStop`, and closes both clients. */
async function stopNow(run: StreamRun): Promise<void> {
  run.state = 'stopping';
  await run.consumer?.stop();
  await run.consumer?.disconnect();
  await run.options.onStop?.();
  await run.producer?.disconnect();
  run.joined = false;
  run.options.metrics?.retainLag({});
  run.state = 'stopped';
  run.log.info('service stopped');
}
