import type { FleetError } from '@fleet/contract';
import { isAccessError } from '../kafka/access.js';
import type { Logger } from '../logger.js';
import type { FleetMetrics } from '../ops/metrics.js';
import type {
  BatchControl,
  ConsumerClient,
  ConsumerOptions,
  KafkaClient,
  ProducerClient,
  RecordBatch,
} from '../kafka/types.js';

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

/** Delay before the service re-creates a consumer that crashed for good, growing to 30 s. */
const RECOVERY_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];

/**
 * How long a consumer runs without crashing before the next crash's recovery waits the
 * first delay again. Not reset by a join: a batch that crashes the consumer right after
 * every join would otherwise rebalance the group once a second.
 */
export const RECOVERY_STABLE_MS = 60_000;

/**
 * Wires a consumer group, a producer and a batch handler into a {@link StreamService}.
 * kafkajs restarts a consumer after retriable errors only; when it gives up on one, the
 * service re-creates producer and consumer after a backoff, so it never needs a manual restart.
 * A refusal of the broker (credentials, ACLs) is the exception: re-creating the clients would
 * only be refused again, so the service stops and {@link StreamService.failed} says why.
 */
export function createStreamService(options: StreamServiceOptions): StreamService {
  const log = options.logger;
  let consumer: ConsumerClient | undefined;
  let producer: ProducerClient | undefined;
  let state: 'new' | 'running' | 'recovering' | 'stopping' | 'stopped' | 'failed' = 'new';
  // In the group as of the last join, with no crash since (or a batch handled since one).
  let joined = false;
  // Rebalances so far, and whether the last one's onAssignment work is done.
  let assignments = 0;
  let settled = true;
  let assignment: Record<string, number[]> = {};
  let memberId: string | undefined;
  let stopping: Promise<void> | undefined;
  let recoveries = 0;
  // Crashes so far, and since when the consumer has run without one.
  let crashes = 0;
  let quietSince = Date.now();
  let failure: FleetError | undefined;
  let rejectFailed!: (err: FleetError) => void;
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  // Observed by whoever awaits it (serve); never an unhandled rejection in a test that does not.
  failed.catch(() => undefined);

  function fail(err: FleetError): void {
    if (state === 'failed' || state === 'stopping' || state === 'stopped') return;
    state = 'failed';
    joined = false;
    failure = err;
    log.error({ code: err.code, reason: err.message }, 'stopped for good: the broker refuses what the service needs');
    rejectFailed(err);
    // The clients are already refused or crashed; closing them says nothing new.
    void consumer?.disconnect().catch(() => undefined);
    void producer?.disconnect().catch(() => undefined);
  }

  function onGroupJoin(a: Record<string, number[]>, id: string): void {
    const continued = memberId !== undefined && id === memberId;
    memberId = id;
    joined = true;
    assignment = a;
    log.info({ assignment: a, memberId: id, continued }, 'joined the consumer group');
    options.metrics?.rebalances.inc();
    options.metrics?.retainLag(a);
    const generation = ++assignments;
    const work = options.onAssignment?.(a, { continued });
    settled = work === undefined;
    void work
      ?.catch((err: unknown) => log.warn({ err }, 'the work of the new assignment failed'))
      .finally(() => {
        if (generation === assignments) settled = true;
      });
  }

  function onCrash(err: unknown, restarting: boolean): void {
    options.metrics?.errors.inc({ code: errorCode(err) });
    crashes++;
    joined = false;
    options.metrics?.retainLag({});
    options.onMembershipLost?.();
    const now = Date.now();
    if (now - quietSince >= RECOVERY_STABLE_MS) recoveries = 0;
    quietSince = now;
    if (isAccessError(err)) return fail(err);
    log.error({ err, restarting }, 'consumer crashed; not ready until it joins its group again');
    if (!restarting && state === 'running') void recover();
  }

  /** The batch handler, noting a batch fetched after a crash and handled without a rejoin. */
  function handlerOf(p: ProducerClient): (batch: RecordBatch, control: BatchControl) => Promise<void> {
    const handle = options.handler(p);
    return async (batch, control) => {
      const crashesBefore = crashes;
      await handle(batch, control);
      if (joined || crashesBefore !== crashes || state !== 'running') return;
      joined = true;
      log.info({ assignment }, 'the client kept the member in its group after the crash');
      options.onMembershipKept?.();
    };
  }

  async function connectAndRun(): Promise<void> {
    // A stop asked for while a client is being made does not wait for it (a broker away
    // makes that take minutes): what is made after the stop is closed here, never run.
    const made = await options.kafka.producer();
    if (options.outputTopics.length > 0 && stopping === undefined) await made.prepare(options.outputTopics);
    if (stopping !== undefined) return made.disconnect().catch(() => undefined);
    producer = made;
    // A new consumer joins as a new member: nothing it had before is known to be its own.
    memberId = undefined;
    const joining = await options.kafka.consumer({ ...options.consumer, onGroupJoin, onCrash });
    // Stopped meanwhile: the stop closed the producer, this consumer is closed here.
    if (stopping !== undefined) return joining.disconnect().catch(() => undefined);
    consumer = joining;
    quietSince = Date.now();
    options.onStart?.(made);
    await joining.run([options.inputTopic].flat(), handlerOf(made));
    // kafkajs reports a failed first join as a crash, not from run().
    if (failure) throw failure;
    log.info({ topic: options.inputTopic, groupId: options.consumer.groupId }, 'consuming');
  }

  async function recover(): Promise<void> {
    state = 'recovering';
    joined = false;
    options.onMembershipLost?.();
    const delayMs = RECOVERY_DELAYS_MS[Math.min(recoveries++, RECOVERY_DELAYS_MS.length - 1)];
    log.warn({ delayMs, attempt: recoveries }, 're-creating the consumer and producer after a crash');
    // The crashed clients may already be half closed; their errors say nothing new.
    await consumer?.disconnect().catch((err: unknown) => log.debug({ err }, 'closing the crashed consumer failed'));
    await producer?.disconnect().catch((err: unknown) => log.debug({ err }, 'closing the old producer failed'));
    consumer = undefined;
    producer = undefined;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (state !== 'recovering') return;
    try {
      state = 'running';
      await connectAndRun();
    } catch (err) {
      if (isAccessError(err)) return fail(err);
      log.error({ err }, 'recovery failed; trying again');
      if (state === 'running') void recover();
    }
  }

  async function stopNow(): Promise<void> {
    state = 'stopping';
    await consumer?.stop();
    await consumer?.disconnect();
    await options.onStop?.();
    await producer?.disconnect();
    joined = false;
    options.metrics?.retainLag({});
    state = 'stopped';
    log.info('service stopped');
  }

  return {
    async start() {
      state = 'running';
      try {
        await connectAndRun();
      } catch (err) {
        if (isAccessError(err)) fail(err);
        throw err;
      }
    },
    stop() {
      stopping ??= stopNow();
      return stopping;
    },
    get live() {
      return state === 'running' || state === 'new' || state === 'recovering';
    },
    get ready() {
      return state === 'running' && joined && settled;
    },
    get assignment() {
      return joined ? assignment : {};
    },
    failed,
  };
}

/** The fleet code of an error, or the foreign error's name (e.g. KafkaJSConnectionError). */
function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | null;
  if (typeof e?.code === 'string' && e.code.startsWith('FLEET_')) return e.code;
  return typeof e?.name === 'string' ? e.name : 'unknown';
}
