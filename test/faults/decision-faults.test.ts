/**
 * The decision service alone, fed predictions by the test: one model's predictions missing
 * for some rides (a degraded decision after the join timeout), those predictions arriving
 * after the decision (ignored: a decision is never revised), duplicate predictions, and the
 * same late predictions again after a SIGKILL and restart (the restored memory of decided
 * rides must still ignore them); and an instance frozen past its session timeout while its
 * partitions' new owner decides their rides (it must not decide them again when it wakes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchema, valueSubject } from '@fleet/contract';
import {
  createKafkaClient,
  createLogger,
  createSerde,
  kafkaClientKind,
  METRIC,
  parseSamples,
  type ProducerClient,
  type Serde,
} from '@fleet/core';
import type { Prediction } from '@fleet/decision';
import { eventually, stack, testRegistry } from '../helpers.js';
import {
  decidedWithinMs,
  expectClean,
  finishFault,
  finishMs,
  SERVICE_EXIT_MS,
  SERVICE_START_MS,
  SERVICE_STOP_MS,
  REBALANCE_TIMEOUT_MS,
  sleep,
  testTimeoutMs,
  timingEnv,
  WORK_ALLOWANCE_MS,
  type FleetTimings,
} from './lib/fault.js';
import { startProcFleet, type ProcFleet } from './lib/fleet.js';
import { createRideTracker, type RideStream, type RideTracker } from './lib/stream.js';

const TIMINGS: FleetTimings = { sessionTimeoutMs: 10_000, joinTimeoutMs: 3000 };
/** How long the decision service may take to have read what it was sent (see the test). */
const CAUGHT_UP_MS = decidedWithinMs(TIMINGS);
let fleet: ProcFleet;
let tracker: RideTracker;
let producer: ProducerClient;
let serde: Serde<Prediction>;

beforeAll(
  async () => {
    fleet = await startProcFleet({ env: timingEnv(TIMINGS) });
    await fleet.start('decision');
    tracker = await createRideTracker(fleet);
    const kafka = createKafkaClient(
      { client: kafkaClientKind(), brokers: stack().brokers, clientId: 'faults-predictions' },
      createLogger({ service: 'test', level: 'fatal' }),
    );
    producer = await kafka.producer();
    serde = await createSerde<Prediction>(
      testRegistry(),
      valueSubject(fleet.topics.predictions),
      loadSchema('prediction'),
    );
  },
  testTimeoutMs(SERVICE_START_MS, WORK_ALLOWANCE_MS),
);

afterAll(
  async () => {
    await producer?.disconnect();
    await tracker?.close();
    await fleet?.close();
  },
  testTimeoutMs(SERVICE_STOP_MS, WORK_ALLOWANCE_MS),
);

const VALUE = { duration: 12.5, cost: 23.1, tip: 3.2 } as const;
const UNIT = { duration: 'minutes', cost: 'USD', tip: 'USD' } as const;

async function sendPredictions(
  rides: Array<{ id: string; eventTime: number }>,
  models: Array<keyof typeof VALUE>,
  bump = 0,
) {
  const records = rides.flatMap(({ id, eventTime }) =>
    models.map((model) => ({
      key: id,
      value: serde.encode({
        ride_id: id,
        model,
        model_version: '1',
        value: VALUE[model] + bump,
        unit: UNIT[model],
        event_time: eventTime,
        predicted_at: Date.now(),
        lower: null,
        upper: null,
        shadow: false,
      }),
    })),
  );
  await producer.send([{ topic: fleet.topics.predictions, records }]);
}

describe('degraded decisions and late predictions', () => {
  const timeout = testTimeoutMs(
    decidedWithinMs(TIMINGS),
    CAUGHT_UP_MS,
    SERVICE_EXIT_MS,
    SERVICE_START_MS,
    CAUGHT_UP_MS,
    finishMs(TIMINGS),
  );
  it('decides a ride missing one model once, degraded, and never revises it', { timeout }, async () => {
    const idPrefix = `${fleet.prefix}-late`;
    const now = Date.now();
    const complete = Array.from({ length: 60 }, (_, n) => ({ id: `${idPrefix}-c${n}`, eventTime: now - 1000 + n }));
    const partial = Array.from({ length: 60 }, (_, n) => ({ id: `${idPrefix}-p${n}`, eventTime: now - 1000 + n }));
    const sent = new Map([...complete, ...partial].map((r) => [r.id, r.eventTime]));
    const stream: RideStream = { sent, sentAt: new Map(sent), duplicatesSent: 0, republished: 0, stop: async () => {} };

    const injectedAt = Date.now();
    await sendPredictions(complete, ['duration', 'cost', 'tip']);
    await sendPredictions(partial, ['duration', 'cost']);
    await tracker.waitDecided(sent.keys(), 'a decision for every ride', decidedWithinMs(TIMINGS));
    // Late: the missing tip, and a second (different) value of every model. The service has
    // read them once its group caught up: it commits past a prediction once it ignored it,
    // or once it decided that ride again (which the audit reports).
    await sendPredictions(partial, ['tip']);
    await sendPredictions([...complete, ...partial], ['duration', 'cost', 'tip'], 100);
    await fleet.waitNoLag(CAUGHT_UP_MS);
    // A crash and restart must not forget which rides were decided.
    await fleet.signal('decision-1', 'SIGKILL');
    await fleet.start('decision');
    await sendPredictions(partial, ['tip'], 200);
    await fleet.waitNoLag(CAUGHT_UP_MS);

    const outcome = await finishFault({
      fault: 'degraded decision + late predictions',
      fleet,
      tracker,
      stream,
      idPrefix,
      injectedAt,
      baselineP99Ms: 0,
      notes: `join timeout ${TIMINGS.joinTimeoutMs} ms; late and changed predictions sent before and after a decision-service SIGKILL`,
      timings: TIMINGS,
    });
    expectClean(outcome);
    expect(outcome.report.degraded).toBe(partial.length);
    for (const r of partial) expect(tracker.seen.get(r.id)?.complete).toBe(false);
  });
});

/** Predictions an instance has consumed so far, from its /metrics. */
async function consumedPredictions(fleet: ProcFleet, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${fleet.instances.get(name)!.port}/metrics`)).text();
  return parseSamples(text, METRIC.consumed)
    .filter((s) => s.labels.topic === fleet.topics.predictions)
    .reduce((sum, s) => sum + s.value, 0);
}

/** The partitions named by the last "joined the consumer group" line of an instance's log. */
function lastAssignment(lines: string[], topic: string): number[] {
  const last = lines.at(-1);
  return last ? ((JSON.parse(last) as { assignment: Record<string, number[]> }).assignment[topic] ?? []) : [];
}

describe('an instance frozen past its session timeout', () => {
  /** How long the frozen instance reads its predictions before it is frozen (well inside the join timeout). */
  const READ_MS = 700;
  /** How long after it wakes a stale instance would have published its degraded decisions. */
  const AWAKE_MS = 3000;
  const timeout = testTimeoutMs(
    SERVICE_START_MS,
    TIMINGS.sessionTimeoutMs + REBALANCE_TIMEOUT_MS,
    decidedWithinMs(TIMINGS),
    AWAKE_MS,
    finishMs(TIMINGS),
  );
  it("does not decide, once awake, the rides its partitions' new owner decided", { timeout }, async () => {
    const frozen = [...fleet.instances.keys()].find((name) => name.startsWith('decision'))!;
    const owner = (await fleet.start('decision')).name;
    await fleet.waitAllReady();
    const joins = /joined the consumer group/;
    await eventually(
      () => lastAssignment(fleet.logLines(frozen, joins), fleet.topics.predictions).length > 0,
      `${frozen} to own partitions beside ${owner}`,
      REBALANCE_TIMEOUT_MS,
    );
    const ownerJoins = fleet.logLines(owner, joins).length;

    const idPrefix = `${fleet.prefix}-frozen`;
    const now = Date.now();
    const rides = Array.from({ length: 60 }, (_, n) => ({ id: `${idPrefix}-${n}`, eventTime: now + n }));
    const sent = new Map(rides.map((r) => [r.id, r.eventTime]));
    const stream: RideStream = { sent, sentAt: new Map(sent), duplicatesSent: 0, republished: 0, stop: async () => {} };
    const injectedAt = Date.now();
    const consumedBefore = await consumedPredictions(fleet, frozen);
    // Two of three predictions: every ride waits for its tip in the instance owning its partition.
    await sendPredictions(rides, ['duration', 'cost']);
    // It holds joins of its own when frozen, or the fault would test nothing: it has read
    // some of them, well inside the join timeout, then reads on a moment.
    await eventually(
      async () => (await consumedPredictions(fleet, frozen)) > consumedBefore,
      `${frozen} to read predictions before it is frozen`,
      TIMINGS.joinTimeoutMs - READ_MS - 500,
    );
    await sleep(READ_MS);
    await fleet.signal(frozen, 'SIGSTOP');
    // Its session expires; the other instance takes every partition, re-reads the frozen
    // one's uncommitted predictions, and decides those rides complete once the tips come.
    await eventually(
      () =>
        fleet.logLines(owner, joins).length > ownerJoins &&
        lastAssignment(fleet.logLines(owner, joins), fleet.topics.predictions).length === 6,
      `${owner} to take over every partition`,
      TIMINGS.sessionTimeoutMs + REBALANCE_TIMEOUT_MS,
    );
    await sendPredictions(rides, ['tip']);
    await tracker.waitDecided(sent.keys(), 'a decision for every ride', decidedWithinMs(TIMINGS));
    // Awake, its join timeouts long past: a stale instance publishes degraded decisions of
    // the rides it held at once, before it hears that its partitions went to another member.
    await fleet.signal(frozen, 'SIGCONT');
    await sleep(AWAKE_MS);

    const outcome = await finishFault({
      fault: 'decision instance frozen past its session timeout',
      fleet,
      tracker,
      stream,
      idPrefix,
      injectedAt,
      baselineP99Ms: 0,
      notes: `two instances; one frozen (SIGSTOP) ${READ_MS} ms after the rides' first predictions, woken once the other decided them`,
      timings: TIMINGS,
    });
    expectClean(outcome);
    expect(fleet.logLines(frozen, /paused/).length, `${frozen} noticed its pause`).toBeGreaterThan(0);
  });
});
