import { Kafka, logLevel, type Consumer, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from '../logger.js';
import type {
  AdminClient,
  ConsumerClient,
  ConsumerOptions,
  IncomingRecord,
  KafkaClient,
  KafkaConnection,
  RecordBatch,
} from './types.js';
import { createAccessLog, withAccessErrors, type AccessLog } from './kafkajs-access.js';
import { createKafkajsAdmin } from './kafkajs-admin.js';
import { connectProducer } from './kafkajs-producer.js';
import { createCommitQueue } from './commit-queue.js';
import { errorChain } from './kafkajs-errors.js';
import { readPartition } from './kafkajs-reader.js';

/**
 * Creates the kafkajs implementation of the {@link KafkaClient} seam. A broker that
 * refuses the credentials or an ACL that refuses a request surfaces as FLEET_KAFKA_AUTH_FAILED
 * or FLEET_KAFKA_NOT_AUTHORIZED, from every call and from a consumer's crash.
 */
export function createKafkaClient(connection: KafkaConnection, logger: Logger): KafkaClient {
  const access = createAccessLog();
  const kafka = new Kafka(kafkajsConfig(connection, logger, access));
  return withAccessErrors(client(kafka, connection, logger), connection, access);
}

function client(kafka: Kafka, connection: KafkaConnection, logger: Logger): KafkaClient {
  return {
    producer: () => connectProducer(kafka, logger.child({ component: 'producer' })),
    consumer: (options) => connectConsumer(kafka, options, logger.child({ component: 'consumer' })),
    admin: async (): Promise<AdminClient> => {
      const admin = kafka.admin();
      await admin.connect();
      return createKafkajsAdmin(admin, connection.retries);
    },
    readPartition: (topic, partition, fromTimestampMs, onRecord) =>
      readPartition(kafka, topic, partition, fromTimestampMs, onRecord, logger.child({ component: 'reader' })),
  };
}

function kafkajsConfig(connection: KafkaConnection, logger: Logger, access: AccessLog): KafkaConfig {
  const log = logger.child({ component: 'kafkajs' });
  return {
    clientId: connection.clientId,
    brokers: connection.brokers,
    ssl: connection.ssl === undefined ? false : connection.ssl,
    sasl: connection.sasl as SASLOptions | undefined,
    connectionTimeout: connection.connectionTimeoutMs ?? 3000,
    requestTimeout: connection.requestTimeoutMs ?? 30000,
    retry: { retries: connection.retries ?? 8, initialRetryTime: 300, maxRetryTime: 30000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        // kafkajs logs every error response of a request ("Response ListOffsets ...: This
        // server is not the leader ...") at ERROR before its retrier, or the seam's, tries
        // again; the caller logs if it gives up, so the response itself is only a debug line.
        // A refusal (credentials, ACL) is thrown as the fleet's error, which the caller reports.
        if (access.observe(entry) || message.startsWith('Response ')) log.debug(rest, message);
        else if (level <= logLevel.ERROR) log.error(rest, message);
        else if (level === logLevel.WARN) log.warn(rest, message);
        else log.debug(rest, message);
      },
  };
}

async function connectConsumer(kafka: Kafka, options: ConsumerOptions, log: Logger): Promise<ConsumerClient> {
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30000,
    // Also how soon a member learns of a rebalance (kafkajs hears of it in the heartbeat
    // response), so a short interval keeps scaling pauses short.
    heartbeatInterval: 1000,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1048576,
    maxWaitTimeInMs: options.maxWaitTimeMs ?? 100,
    minBytes: options.minBytes ?? 1,
    allowAutoTopicCreation: false,
  });
  observe(consumer, options);
  await consumer.connect();
  // A commit refused because the broker no longer knows this member (evicted while the
  // broker was frozen, say): kafkajs keeps fetching without a member id, its heartbeats are
  // then no-ops, and it rejoins only when a fetch or a batch handler fails with such an
  // error, so commits would fail for ever. The next batch fails with it instead, unless
  // the group was joined again since that commit was sent (see createMembershipWatch).
  const membership = createMembershipWatch();
  consumer.on(consumer.events.GROUP_JOIN, () => membership.joined());
  const commits = createCommitQueue(
    (offsets) => {
      const sentAt = membership.sent();
      return consumer.commitOffsets(offsets.map((o) => ({ ...o, offset: (BigInt(o.offset) + 1n).toString() }))).then(
        () => membership.committed(),
        (err: unknown) => {
          log.warn({ err, offsets }, 'commit failed; records will be read again');
          membership.refused(sentAt, err);
        },
      );
    },
    { minIntervalMs: options.commitIntervalMs },
  );
  // Offsets of partitions the join took away are their new owner's to commit.
  consumer.on(consumer.events.GROUP_JOIN, (event) => commits.retain(event.payload.memberAssignment));
  // While stopping, the last batch's commit must land before the group is left. kafkajs's
  // consumer.commitOffsets does nothing once stop() began (its runner is no longer running),
  // so such a commit goes through the batch's own commitOffsetsIfNecessary, which commits
  // for the member the stop is waiting on before it leaves.
  const commitWhileStopping = (
    commitNow: (offsets: {
      topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
    }) => Promise<void>,
    topic: string,
    partition: number,
    offset: string,
  ): Promise<void> =>
    commitNow({ topics: [{ topic, partitions: [{ partition, offset: (BigInt(offset) + 1n).toString() }] }] }).catch(
      (err: unknown) =>
        log.warn({ err, topic, partition, offset }, 'commit while stopping failed; records will be read again'),
    );
  return {
    async run(topics, handler) {
      await consumer.subscribe({ topics, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
          if (membership.takeLost()) {
            throw Object.assign(new Error('the group coordinator no longer knows this member: rejoining'), {
              type: 'UNKNOWN_MEMBER_ID',
            });
          }
          const records: IncomingRecord[] = batch.messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: stringHeaders(m.headers),
            timestamp: Number(m.timestamp),
          }));
          const recordBatch: RecordBatch = {
            topic: batch.topic,
            partition: batch.partition,
            records,
            highWatermark: batch.highWatermark,
          };
          await handler(recordBatch, {
            heartbeat,
            isStale,
            commit: (offset) =>
              isRunning()
                ? commits.commit({ topic: batch.topic, partition: batch.partition, offset }, false)
                : commitWhileStopping(commitOffsetsIfNecessary, batch.topic, batch.partition, offset),
          });
        },
      });
    },
    async stop() {
      // What earlier batches handed in lands before the group is left, and the running
      // batch's own commit (made while stopping) does not wait for the interval either.
      await commits.flushNow();
      await consumer.stop();
      await commits.idle();
    },
    disconnect: () => consumer.disconnect(),
  };
}

function observe(consumer: Consumer, options: ConsumerOptions): void {
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    options.onGroupJoin?.(event.payload.memberAssignment, event.payload.memberId);
  });
  consumer.on(consumer.events.CRASH, (event) => {
    options.onCrash?.(event.payload.error, event.payload.restart);
  });
  consumer.on(consumer.events.STOP, () => options.onStop?.());
}

function stringHeaders(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = last.toString();
  }
  return out;
}

/** Why the group coordinator refused a commit, when it is about the membership. */
export function commitRefusal(err: unknown): 'member' | 'generation' | undefined {
  for (const e of errorChain(err)) {
    if (e.type === 'UNKNOWN_MEMBER_ID' || e.type === 'FENCED_INSTANCE_ID') return 'member';
    if (e.type === 'ILLEGAL_GENERATION') return 'generation';
  }
  // kafkajs' retrier wraps the protocol error in a KafkaJSNonRetriableError with its message.
  const message = (err as Error)?.message ?? '';
  if (/not aware of this member/i.test(message)) return 'member';
  if (/generation id is not valid/i.test(message)) return 'generation';
  return undefined;
}

/**
 * Decides when refused commits mean this member is out of the group, so that the next batch
 * fails and kafkajs rejoins. An unknown member is out at once. A stale generation is what a
 * commit sent while the group rebalances gets (commits run on their own timer, not inside a
 * batch): the member is still in the group and the next commit carries the new generation,
 * so it is out only when a second commit in a row is refused so. Forcing a rejoin on the
 * first made the other members' commits stale in turn: a rebalance storm.
 *
 * A refusal of a commit sent before the group was last joined is about a membership that
 * join already replaced, and is ignored. Acting on it (the broker frozen past the session
 * timeout, fault suite) made the member leave the membership it had just been given; the
 * broker kept that member until its session ran out, the new join waited for it, and the
 * commit sent meanwhile was refused again: a stall of a session timeout, over and over.
 */
export function createMembershipWatch(): {
  /** The group was joined (kafkajs' GROUP_JOIN). */
  joined(): void;
  /** A commit is sent now: what to pass to `refused` if it is. */
  sent(): number;
  committed(): void;
  refused(sentAt: number, err: unknown): void;
  /** Whether the member is out of the group; true once per loss. */
  takeLost(): boolean;
} {
  let joins = 0;
  let lost = false;
  let staleInARow = 0;
  return {
    joined() {
      joins++;
      lost = false;
      staleInARow = 0;
    },
    sent: () => joins,
    committed() {
      staleInARow = 0;
    },
    refused(sentAt, err) {
      if (sentAt !== joins) return;
      const why = commitRefusal(err);
      if (why === 'member' || (why === 'generation' && ++staleInARow >= 2)) lost = true;
    },
    takeLost() {
      const out = lost;
      lost = false;
      return out;
    },
  };
}
