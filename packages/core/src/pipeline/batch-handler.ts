import { type FleetError, isFleetError } from '@fleet/contract';
import type { Logger } from '../logger.js';
import type { BatchControl, IncomingRecord, OutgoingRecord, ProducerClient, RecordBatch } from '../kafka/types.js';
import { traceProduce, type TraceSpan, type Tracing } from '../ops/tracing.js';
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
  /** Bad records skipped without a dead letter (a handler without a DLQ of its own). */
  skipped: Array<{ code: string }>;
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
  /**
   * Dead-letter topic of the input topic; null for a consumer that only observes a topic
   * whose owner dead-letters its bad records (the monitor on `predictions`): they are
   * skipped and counted, not written twice.
   */
  dlqTopic: string | null;
  producer: ProducerClient;
  logger: Logger;
  /** Decodes and validates one record; throws a non-retriable FleetError for a bad record. */
  decode: (record: IncomingRecord) => Promise<T> | T;
  /** Processes the batch's good records (possibly none) in one go. */
  process: (items: Decoded<T>[], batch: RecordBatch) => Promise<ProcessOutcome>;
  /** Called after each batch. */
  onBatch?: (report: BatchReport) => void;
  /**
   * Spans a `decode <topic>` per record, child of the trace context of its headers, and a
   * `produce <topic>` per output record that carries one (see {@link traceProduce}).
   */
  tracing?: Tracing;
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
  const tracing = options.tracing?.enabled ? options.tracing : undefined;
  return async (batch: RecordBatch, control: BatchControl): Promise<void> => {
    if (batch.records.length === 0) return;
    const handledAt = Date.now();
    const t0 = performance.now();
    const dead = deadLetters(origin, log, options.dlqTopic !== null);
    const good: Decoded<T>[] = [];
    for (const record of batch.records) {
      const span = tracing ? decodeSpan(tracing, record, options.groupId) : undefined;
      try {
        // Decoding is synchronous once the writer schema is known: await only a lookup.
        const value = options.decode(record);
        good.push({ record, value: value instanceof Promise ? await value : value });
      } catch (err) {
        span?.fail(err);
        dead.add(record, asRecordError(err, record));
      } finally {
        span?.end();
      }
    }
    const t1 = performance.now();
    await control.heartbeat();
    const outcome: ProcessOutcome = await whileHeartbeating(control, log, () => options.process(good, batch));
    for (const { record, error } of outcome.failed) dead.add(record, error);
    const t2 = performance.now();
    const dlq = options.dlqTopic === null ? [] : [{ topic: options.dlqTopic, records: dead.records }];
    let produced: ReturnType<typeof traceProduce> | undefined;
    // Whatever fails from here on (a rebalance met by the heartbeat, the send) fails the
    // outcome too: work `process` closed (rides a decision service decided) is reopened.
    try {
      await control.heartbeat();
      produced = tracing ? traceProduce(tracing, outcome.outputs) : undefined;
      await options.producer.send([...outcome.outputs, ...dlq]);
    } catch (err) {
      produced?.(err);
      outcome.onFailed?.();
      throw err;
    }
    produced?.();
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
      skipped: dead.skipped,
      produced: outcome.outputs.reduce((n, o) => n + o.records.length, 0),
      decodeMs: t1 - t0,
      processMs: t2 - t1,
      produceMs: t3 - t2,
      consumeMs: batch.records.map((r) => Math.max(0, handledAt - r.timestamp)),
    });
  };
}

/**
 * The dead letters of one batch, each logged once with its code and origin; without a DLQ
 * (`write` false) the bad records are only counted, and logged at debug level since their
 * owner's dead letter is what an operator reads.
 */
function deadLetters(origin: { groupId: string; service: string }, log: Logger, write: boolean) {
  const records: OutgoingRecord[] = [];
  const codes: Array<{ code: string }> = [];
  const skipped: Array<{ code: string }> = [];
  return {
    records,
    codes,
    skipped,
    add(record: IncomingRecord, error: FleetError): void {
      const where = { topic: record.topic, partition: record.partition, offset: record.offset };
      if (!write) {
        skipped.push({ code: error.code });
        log.debug({ code: error.code, reason: error.message, ...where }, 'bad record skipped');
        return;
      }
      records.push(deadLetter(record, error, origin));
      codes.push({ code: error.code });
      log.warn({ code: error.code, reason: error.message, ...where }, 'record sent to the dead-letter topic');
    },
  };
}

/** The span of one record's decode: a consumer span, child of the context its headers carry. */
function decodeSpan(tracing: Tracing, record: IncomingRecord, groupId: string): TraceSpan {
  return tracing.span(`decode ${record.topic}`, {
    parent: record.headers,
    kind: 'consumer',
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': record.topic,
      'messaging.destination.partition.id': String(record.partition),
      'messaging.kafka.offset': Number(record.offset),
      'messaging.consumer.group.name': groupId,
      ...(record.key ? { 'messaging.kafka.message.key': record.key.toString() } : {}),
    },
  });
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
