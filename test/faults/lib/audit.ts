/**
 * Reads what the fleet really wrote — every record of the decisions and predictions topics,
 * by partition and offset — and checks the fleet's promises for a set of rides: each ride
 * sent is decided exactly once, nothing else is decided, and each decision follows its
 * ride's predictions (it carries the first live prediction of each model, made before it,
 * and names its version).
 */
import { randomBytes } from 'node:crypto';
import { loadSchema, valueSubject } from '@fleet/contract';
import { createSerde, type AdminClient, type IncomingRecord, type KafkaClient, type Registry } from '@fleet/core';
import type { Prediction, RideDecision } from '@fleet/decision';
import { eventually } from '../../helpers.js';

/** A record read back with where it lives. */
export interface Located<T> {
  value: T;
  partition: number;
  offset: bigint;
}

/** Reads a whole topic (up to its end offsets at call time) in one throw-away group. */
export async function readTopic(kafka: KafkaClient, admin: AdminClient, topic: string): Promise<IncomingRecord[]> {
  const ends = new Map((await admin.fetchEndOffsets(topic)).map((e) => [e.partition, BigInt(e.offset)]));
  const next = new Map([...ends.keys()].map((p) => [p, 0n]));
  const out: IncomingRecord[] = [];
  const done = () => [...ends].every(([p, end]) => (next.get(p) ?? 0n) >= end);
  if (done()) return out;
  const groupId = `test.faults.audit.${randomBytes(5).toString('hex')}`;
  const consumer = await kafka.consumer({ groupId, fromBeginning: true });
  try {
    await consumer.run([topic], async (batch) => {
      const end = ends.get(batch.partition) ?? 0n;
      for (const r of batch.records) {
        const offset = BigInt(r.offset);
        if (offset < end) out.push(r);
        next.set(batch.partition, offset + 1n);
      }
    });
    await eventually(done, `reading ${topic} to its end`, 60_000);
  } finally {
    await consumer.stop();
    await consumer.disconnect();
  }
  return out;
}

/** Decodes every record of the decisions and predictions topics. */
export async function readFleetOutput(
  kafka: KafkaClient,
  admin: AdminClient,
  registry: Registry,
  topics: { predictions: string; decisions: string },
): Promise<{ decisions: Located<RideDecision>[]; predictions: Located<Prediction>[] }> {
  const decisionSerde = await createSerde<RideDecision>(
    registry,
    valueSubject(topics.decisions),
    loadSchema('ride_decision'),
  );
  const predictionSerde = await createSerde<Prediction>(
    registry,
    valueSubject(topics.predictions),
    loadSchema('prediction'),
  );
  const [d, p] = await Promise.all([
    readTopic(kafka, admin, topics.decisions),
    readTopic(kafka, admin, topics.predictions),
  ]);
  const located = async <T>(records: IncomingRecord[], decode: (b: Buffer | null) => T | Promise<T>) =>
    Promise.all(
      records.map(async (r) => ({ value: await decode(r.value), partition: r.partition, offset: BigInt(r.offset) })),
    );
  return {
    decisions: await located(d, (b) => decisionSerde.decode(b)),
    predictions: await located(p, (b) => predictionSerde.decode(b)),
  };
}

/** What the audit found for one set of rides. */
export interface AuditReport {
  sent: number;
  decided: number;
  /** Rides sent but never decided. */
  lost: string[];
  /** Rides decided that were not sent (with this fault's prefix). */
  unexpected: string[];
  /** Rides with more than one decision record. */
  duplicated: string[];
  /** Rides with two decision records that differ (never acceptable). */
  conflicting: string[];
  degraded: number;
  /** Rides whose decision does not follow its predictions. */
  orderViolations: string[];
}

/**
 * Checks the decisions of the rides whose id starts with `idPrefix` against `sent`
 * (ride id → event_time). A complete decision must carry, for each model, the value of
 * that model's first prediction of the ride (offset order on the ride's partition), made
 * no later than the decision; a degraded one must name what it misses and carry nulls there.
 */
export function audit(
  idPrefix: string,
  sent: ReadonlyMap<string, number>,
  output: { decisions: Located<RideDecision>[]; predictions: Located<Prediction>[] },
): AuditReport {
  const byRide = new Map<string, Located<RideDecision>[]>();
  for (const d of output.decisions) {
    if (!d.value.ride_id.startsWith(idPrefix)) continue;
    byRide.set(d.value.ride_id, [...(byRide.get(d.value.ride_id) ?? []), d]);
  }
  const firstPrediction = new Map<string, Located<Prediction>>();
  for (const p of output.predictions) {
    // A shadow version's predictions never count in a decision (fleet shadow).
    if (!p.value.ride_id.startsWith(idPrefix) || p.value.shadow) continue;
    const key = `${p.value.ride_id}/${p.value.model}`;
    const seen = firstPrediction.get(key);
    if (!seen || p.offset < seen.offset) firstPrediction.set(key, p);
  }
  const report: AuditReport = {
    sent: sent.size,
    decided: 0,
    lost: [],
    unexpected: [],
    duplicated: [],
    conflicting: [],
    degraded: 0,
    orderViolations: [],
  };
  for (const id of sent.keys()) if (!byRide.has(id)) report.lost.push(id);
  for (const [id, list] of byRide) {
    if (!sent.has(id)) report.unexpected.push(id);
    report.decided++;
    if (list.length > 1) {
      report.duplicated.push(id);
      const forms = new Set(list.map((l) => JSON.stringify({ ...l.value, decided_at: 0 })));
      if (forms.size > 1) report.conflicting.push(id);
    }
    const d = list[0].value;
    if (!d.complete) report.degraded++;
    const why = followsPredictions(d, sent.get(id), firstPrediction);
    if (why) report.orderViolations.push(`${id} (${why})`);
  }
  return report;
}

const FIELD = { duration: 'duration_min', cost: 'cost_usd', tip: 'tip_usd' } as const;

function followsPredictions(
  d: RideDecision,
  eventTime: number | undefined,
  first: Map<string, Located<Prediction>>,
): string | null {
  if (eventTime !== undefined && d.event_time !== eventTime) return `event_time ${d.event_time} != sent ${eventTime}`;
  if (d.decided_at < d.event_time) return 'decided before the ride started';
  for (const model of Object.keys(FIELD) as Array<keyof typeof FIELD>) {
    const value = d[FIELD[model]];
    const missing = d.missing_models.includes(model);
    if (missing !== (value === null)) return `${model}: missing_models and value disagree`;
    if (missing) continue;
    const p = first.get(`${d.ride_id}/${model}`);
    // The decision used this model's first prediction, which existed before the decision.
    if (!p) return `${model}: no prediction in the topic`;
    if (p.value.value !== value)
      return `${model}: ${value} is not the first prediction ${p.value.value} (offset ${p.offset})`;
    if (p.value.model_version !== d.model_versions[model])
      return `${model}: version ${d.model_versions[model]} is not the first prediction's ${p.value.model_version}`;
    if (p.value.predicted_at > d.decided_at) return `${model}: predicted after the decision`;
  }
  return d.complete === (d.missing_models.length === 0) ? null : 'complete flag disagrees with missing_models';
}
