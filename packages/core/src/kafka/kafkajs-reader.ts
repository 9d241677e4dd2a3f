import { randomBytes } from 'node:crypto';
import { isFleetError, READER_GROUP_PREFIX } from '@fleet/contract';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '../logger.js';
import { retry } from '../retry.js';
import { errorChain } from './kafkajs-errors.js';
import { rangesSince } from './offsets-since.js';
import type { IncomingRecord } from './types.js';

/**
 * Reads `topic`/`partition` from `fromTimestampMs` to the end offset of the moment. kafkajs
 * has no manual assignment, so a throw-away group is joined, the partition sought, and the
 * group deleted afterwards.
 */
export async function readPartition(
  kafka: Kafka,
  topic: string,
  partition: number,
  fromTimestampMs: number,
  onRecord: (record: IncomingRecord) => void,
  log: Logger,
): Promise<number> {
  const admin = await sharedAdmin(kafka, log);
  // Like every admin call of the seam: retried while the partition has no leader yet.
  const ranges = await retry(
    () =>
      rangesSince(
        async () => new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)])),
        async () =>
          new Map(
            (await admin.fetchTopicOffsetsByTimestamp(topic, fromTimestampMs)).map((p) => [
              p.partition,
              BigInt(p.offset),
            ]),
          ),
      ),
    { retries: 8, initialDelayMs: 100, maxDelayMs: 2000 },
  );
  const { from, end } = ranges.get(partition) ?? { from: 0n, end: 0n };
  if (from >= end) return 0;
  // A group coordinator still loading (a broker just restarted) refuses the throw-away
  // group's join: that read is tried again with a fresh group, as long as it delivered
  // nothing yet (a read that failed half-way is the caller's to redo).
  let delivered = 0;
  const counted = (record: IncomingRecord): void => {
    delivered++;
    onRecord(record);
  };
  try {
    return await retry(() => readWithGroup(kafka, admin, topic, partition, from, end, counted, log), {
      retries: 6,
      initialDelayMs: 250,
      maxDelayMs: 4000,
      shouldRetry: (err) => delivered === 0 && coordinatorNotReady(err),
      onRetry: (err, attempt, delayMs) =>
        log.info(
          { reason: (err as Error).message, attempt, delayMs, topic, partition },
          'reader group refused, retrying',
        ),
    });
  } catch (err) {
    // The refusal itself, as without the retries: kafkajs decides from it whether the
    // consumer whose batch needed this read restarts.
    throw isFleetError(err, 'FLEET_RETRIES_EXHAUSTED') ? err.cause : err;
  }
}

/** kafkajs' names of the answers of a group coordinator that is not ready yet. */
const COORDINATOR_NOT_READY = new Set([
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
]);

/** Whether `err` (or an error it wraps) says the group coordinator is not ready yet. */
function coordinatorNotReady(err: unknown): boolean {
  return errorChain(err).some((e) => e.type !== undefined && COORDINATOR_NOT_READY.has(e.type));
}

/** One read through a throw-away group, deleted afterwards. */
async function readWithGroup(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  partition: number,
  from: bigint,
  end: bigint,
  onRecord: (record: IncomingRecord) => void,
  log: Logger,
): Promise<number> {
  const groupId = `${READER_GROUP_PREFIX}${randomBytes(6).toString('hex')}`;
  try {
    return await consume(kafka, groupId, topic, partition, from, end, onRecord);
  } finally {
    // A reader group left behind holds no offsets and expires with the broker's
    // offsets.retention; worth a line, not a failure of the read.
    await admin
      .deleteGroups([groupId])
      .catch((err: unknown) => log.warn({ err, groupId }, 'could not delete the reader group'));
  }
}

/** Idle time after which the readers' admin connection is closed. */
const ADMIN_IDLE_MS = 5000;
const admins = new WeakMap<Kafka, { admin: Promise<Admin>; idle?: NodeJS.Timeout }>();

/**
 * One admin connection per client for the reads of a rebalance (one per partition), closed
 * again after a few idle seconds so it never keeps a stopping process alive.
 */
async function sharedAdmin(kafka: Kafka, log: Logger): Promise<Admin> {
  let entry = admins.get(kafka);
  if (!entry) {
    const admin = kafka.admin();
    entry = { admin: admin.connect().then(() => admin) };
    admins.set(kafka, entry);
    entry.admin.catch(() => admins.delete(kafka));
  }
  clearTimeout(entry.idle);
  const current = entry;
  current.idle = setTimeout(() => {
    admins.delete(kafka);
    void current.admin
      .then((a) => a.disconnect())
      .catch((err: unknown) => log.debug({ err }, 'closing the idle reader admin failed'));
  }, ADMIN_IDLE_MS);
  current.idle.unref();
  return current.admin;
}

async function consume(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partition: number,
  from: bigint,
  end: bigint,
  onRecord: (record: IncomingRecord) => void,
): Promise<number> {
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 50,
    allowAutoTopicCreation: false,
    // A crash ends the read (the caller sees it and reads again). kafkajs would otherwise
    // also restart the consumer on its own timer, racing the disconnect below; a restart
    // that fails to join (GROUP_LOAD_IN_PROGRESS after a broker freeze) rejects a promise
    // nobody holds, and that ends the process.
    retry: { restartOnFailure: async () => false },
  });
  await consumer.connect();
  let count = 0;
  let done!: () => void;
  let crashed = false;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    consumer.on(consumer.events.CRASH, (e) => {
      crashed = true;
      reject(e.payload.error);
    });
  });
  // A crash can come before `finished` is awaited (a first join refused after a broker
  // freeze); its rejection is read below, it must never count as unhandled.
  finished.catch(() => undefined);
  try {
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.partition !== partition) return;
        for (const m of batch.messages) {
          if (BigInt(m.offset) >= end) break;
          count++;
          onRecord({
            topic,
            partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: {},
            timestamp: Number(m.timestamp),
          });
        }
        if (BigInt(batch.lastOffset()) + 1n >= end) done();
      },
    });
    // kafkajs reports a failed first join as a crash, after which run() resolves on a
    // stopped consumer that refuses a seek: the crash is the error to give the caller.
    if (crashed) await finished;
    // kafkajs accepts a seek only once run() has started the consumer.
    consumer.seek({ topic, partition, offset: from.toString() });
    await finished;
  } finally {
    await consumer.disconnect();
  }
  return count;
}
