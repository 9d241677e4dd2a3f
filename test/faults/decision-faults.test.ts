/**
 * The decision service alone, fed predictions by the test: one model's predictions missing
 * for some rides (a degraded decision after the join timeout), those predictions arriving
 * after the decision (ignored: a decision is never revised), duplicate predictions, and the
 * same late predictions again after a SIGKILL and restart (the restored memory of decided
 * rides must still ignore them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchema, valueSubject } from '@fleet/contract';
import {
  createKafkaClient,
  createLogger,
  createSerde,
  kafkaClientKind,
  type ProducerClient,
  type Serde,
} from '@fleet/core';
import type { Prediction } from '@fleet/decision';
import { stack, testRegistry } from '../helpers.js';
import {
  decidedWithinMs,
  expectClean,
  finishFault,
  finishMs,
  SERVICE_EXIT_MS,
  SERVICE_START_MS,
  SERVICE_STOP_MS,
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
    tracker = await createRideTracker(fleet.topics);
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
