import { type FleetError, isFleetError } from '@fleet/contract';
import type { Logger } from '../logger.js';
import type { BatchControl, IncomingRecord, OutgoingRecord, ProducerClient, RecordBatch } from '../kafka/types.js';
import { deadLetter } from './dlq.js';

/** A record that decoded and validated. */
export interface Decoded<T> {
  record: IncomingRecord;
  value: T;
}

/** What processing the good records of a batch gives. */
export interface ProcessOutcome {
  /** Records to produce, by topic. */
  outputs: Array<{ topic: string; records: OutgoingRecord[] }>;
  /** Records that failed in processing (e.g. a non-finite model output): they go to the DLQ. */
  failed: Array<{ record: IncomingRecord; error: FleetError }>;
  /** Called once the outputs are acknowledged by the broker, before the commit. */
  onProduced?: () => void;
  /** Called when sending the outputs failed (the batch will be fetched again). */
  onFailed?: () => void;
  /**
   * The offset to commit for the partition (asked after `onProduced`), when not simply the
   * batch's last one: the decision service holds back records of rides still joining.
   * `null`: commit nothing.
   */
  commitOffset?: () => string | null;
}

/** Observations of one handled batch, for metrics. */
export interface BatchReport {
  topic: string;
  partition: number;
  records: number;
  /** Offset of the batch's last record. */
  lastOffset: string;
  /** High watermark of the partition when fetched. */
  highWatermark: string;
  deadLettered: Array<{ code: string }>;
  produced: number;
  decodeMs: number;
  processMs: number;
  produceMs: number;
  /** Per record: from its timestamp (produced upstream) until this batch was handled, ms. */
  consumeMs: number[];
}

/** Options of {@link createBatchHandler}. */
export interface BatchHandlerOptions<T> {
  service: string;
  groupId: string;
  /** Dead-letter topic of the input topic. */
  dlqTopic: string;
  producer: ProducerClient;
  logger: Logger;
  /** Decodes and validates one record; throws a non-retriable FleetError for a bad record. */
  decode: (record: IncomingRecord) => Promise<T> | T;
  /** Processes the batch's good records (possibly none) in one go. */
  process: (items: Decoded<T>[], batch: RecordBatch) => Promise<ProcessOutcome>;
  /** Called after each batch. */
  onBatch?: (report: BatchReport) => void;
}

/**
 * The at-least-once batch loop shared by every service: decode and validate each record
 * (bad ones to the DLQ with their original bytes), process the good ones in one call,
 * produce outputs and dead letters in one acknowledged send, and only then commit. A
 * retriable error (registry or broker down) is thrown, so the batch is fetched again.
 */
export function createBatchHandler<T>(options: BatchHandlerOptions<T>) {
  const origin = { groupId: options.groupId, service: options.service };
  const log = options.logger;
  return async (batch: RecordBatch, control: BatchControl): Promise<void> => {
    if (batch.records.length === 0) return;
    const handledAt = Date.now();
    const t0 = performance.now();
    const dead = deadLetters(origin, log);
    const good: Decoded<T>[] = [];
    for (const record of batch.records) {
      try {
        good.push({ record, value: await options.decode(record) });
      } catch (err) {
        dead.add(record, asRecordError(err, record));
      }
    }
    const t1 = performance.now();
    await control.heartbeat();
    const outcome: ProcessOutcome = await whileHeartbeating(control, log, () => options.process(good, batch));
    for (const { record, error } of outcome.failed) dead.add(record, error);
    const t2 = performance.now();
    await control.heartbeat();
    try {
      await options.producer.send([...outcome.outputs, { topic: options.dlqTopic, records: dead.records }]);
    } catch (err) {
      outcome.onFailed?.();
      throw err;
    }
    const t3 = performance.now();
    outcome.onProduced?.();
    const last = batch.records[batch.records.length - 1].offset;
    const commitOffset = outcome.commitOffset ? outcome.commitOffset() : last;
    // After a rebalance took the partition away, its new owner commits; ours would be stale.
    if (commitOffset !== null && !control.isStale()) await control.commit(commitOffset);
    options.onBatch?.({
      topic: batch.topic,
      partition: batch.partition,
      records: batch.records.length,
      lastOffset: last,
      highWatermark: batch.highWatermark,
      deadLettered: dead.codes,
      produced: outcome.outputs.reduce((n, o) => n + o.records.length, 0),
      decodeMs: t1 - t0,
      processMs: t2 - t1,
      produceMs: t3 - t2,
      consumeMs: batch.records.map((r) => Math.max(0, handledAt - r.timestamp)),
    });
  };
}

/** The dead letters of one batch, each logged once with its code and origin. */
function deadLetters(origin: { groupId: string; service: string }, log: Logger) {
  const records: OutgoingRecord[] = [];
  const codes: Array<{ code: string }> = [];
  return {
    records,
    codes,
    add(record: IncomingRecord, error: FleetError): void {
      records.push(deadLetter(record, error, origin));
      codes.push({ code: error.code });
      const where = { topic: record.topic, partition: record.partition, offset: record.offset };
      log.warn({ code: error.code, reason: error.message, ...where }, 'record sent to the dead-letter topic');
    },
  };
}

/**
 * A record-level error as the batch loop treats it: non-retriable fleet errors send the
 * record to the DLQ; retriable ones (and programming errors) are rethrown.
 */
function asRecordError(err: unknown, record: IncomingRecord): FleetError {
  if (isFleetError(err) && !err.retriable) {
    Object.assign(err.context, { topic: record.topic, partition: record.partition, offset: record.offset });
    return err;
  }
  throw err;
}

/** How often a long step heartbeats, well inside any session timeout. */
const KEEPALIVE_MS = 1000;

/**
 * Runs `step` while heartbeating, so a model call slower than the session timeout does not
 * get the member evicted and the group into a rebalance storm.
 */
async function whileHeartbeating<T>(control: BatchControl, log: Logger, step: () => Promise<T>): Promise<T> {
  // A failed heartbeat (a rebalance under way, the broker away) is retried by the next
  // tick; kafkajs itself ends the batch when the member lost its partitions.
  const beat = () =>
    void control.heartbeat().catch((err: unknown) => log.warn({ err }, 'heartbeat during a long step failed'));
  const timer = setInterval(beat, KEEPALIVE_MS);
  try {
    return await step();
  } finally {
    clearInterval(timer);
  }
}
