import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadRideCsv,
  loadSchema,
  MODEL_NAMES,
  valueSubject,
  type ModelHealthRecord,
  type RideOutcome,
  type RideStarted,
} from '@fleet/contract';
import { createOutcomePublisher, replayRides, scheduleOutcomes, type SentRide } from '@fleet/backend';
import { createSerde } from '@fleet/core';
import {
  binCount,
  binOf,
  DRIFT_INPUTS,
  loadKnownVersions,
  PREDICTION_FEATURE,
  psi,
  referenceShares,
  TARGET_OF,
  type FeatureValue,
} from '@fleet/monitor';
import { readTopic } from '../faults/lib/audit.js';
import { startFleet, type FleetHarness } from '../fleet-harness.js';
import { eventually, testKafka, testLogger, testRegistry } from '../helpers.js';
import { READ_BACK_MS, REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

/** A ride of 60 minutes ends 60 ms after it started. */
const TIME_FACTOR = 60_000;
/** The monitor's group joins (a first join), then the rides are scored, ended and joined. */
const JOINED_WITHIN_MS = REBALANCE_TIMEOUT_MS + WORK_ALLOWANCE_MS;
const WINDOW_SEC = 900;
const PSI_WARNING = 0.1;
const PSI_ALERT = 0.25;

async function testSplit(): Promise<{ templates: RideStarted[]; outcomes: RideOutcome[] }> {
  const { rows } = await loadRideCsv(new URL('../../models/data/test_rides.csv', import.meta.url).pathname);
  const usable = rows.flatMap((r) => (r.ok && r.outcome ? [{ ride: r.ride, outcome: r.outcome }] : []));
  return { templates: usable.map((u) => u.ride), outcomes: usable.map((u) => u.outcome) };
}

/** The PSI of `values` against a feature's reference, computed here from the values themselves. */
function psiOf(reference: Parameters<typeof binOf>[0], values: FeatureValue[]): number {
  const counts = new Array<number>(binCount(reference)).fill(0);
  for (const v of values) counts[binOf(reference, v)]++;
  return psi(referenceShares(reference), counts);
}

describe('the monitor end to end (real broker, registry, models and outcomes)', () => {
  let fleet: FleetHarness;

  beforeAll(
    async () => {
      fleet = await startFleet({ monitor: true, monitorEnv: { MONITOR_PUBLISH_INTERVAL_MS: '500' } });
    },
    testTimeoutMs(REBALANCE_TIMEOUT_MS, WORK_ALLOWANCE_MS),
  );
  afterAll(async () => {
    await fleet?.stop();
  });

  it(
    'reports the MAE, bias and outcome share the rides really had, and flags distances stretched by half as drift',
    { timeout: testTimeoutMs(JOINED_WITHIN_MS, READ_BACK_MS) },
    async () => {
      const { templates, outcomes } = await testSplit();
      // Every held-out ride once, its distance × 1.5 (what `npm run demo -- --drift` replays).
      const drifted = templates.map((r) => ({
        ...r,
        estimated_distance_miles: Math.min(200, r.estimated_distance_miles * 1.5),
      }));
      const outcomePublisher = await createOutcomePublisher(
        testKafka('outcomes'),
        testRegistry(),
        fleet.topics.completed,
        testLogger(),
      );
      const schedule = scheduleOutcomes(outcomePublisher, { timeFactor: TIME_FACTOR });
      const sent: SentRide[] = await replayRides(fleet.publisher, {
        templates: drifted,
        count: drifted.length,
        ratePerSec: 2000,
        completions: { schedule, outcomes },
      });
      await schedule.drain();
      schedule.stop();
      await outcomePublisher.close();
      expect(schedule.published).toBe(sent.length);

      // The version each service runs (the monitor also knows the cards of the others).
      const served = (model: string) => fleet.models[model].version;
      const health = (model: string) =>
        fleet
          .monitor!.service.health()
          .find((h) => h.model === model && h.model_version === served(model) && h.window_sec === WINDOW_SEC)!;
      await eventually(
        () => MODEL_NAMES.every((m) => health(m).outcomes === sent.length),
        `the monitor to join the ${sent.length} outcomes with every model's predictions`,
        JOINED_WITHIN_MS,
      );

      const reference = loadKnownVersions(new URL('../../models', import.meta.url).pathname);
      const rides = sent.map((s) => s.ride);
      for (const model of MODEL_NAMES) {
        // Independently: the model's own predictions on the same rides, against what happened.
        const predicted = await fleet.models[model].predict(rides);
        const errors = sent.map((s, i) => predicted[i] - outcomes[s.template][TARGET_OF[model]]);
        const h = health(model);
        expect(h).toMatchObject({
          predictions: sent.length,
          outcomes: sent.length,
          outcome_share: 1,
          rides: sent.length,
        });
        expect(h.mae).toBeCloseTo(errors.reduce((s, e) => s + Math.abs(e), 0) / errors.length, 9);
        expect(h.bias).toBeCloseTo(errors.reduce((s, e) => s + e, 0) / errors.length, 9);

        const features = reference.find((k) => k.model === model && k.version === served(model))!.reference!.features;
        const expected: Record<string, number> = { [PREDICTION_FEATURE]: psiOf(features.prediction, [...predicted]) };
        for (const [name, read] of Object.entries(DRIFT_INPUTS))
          expected[name] = psiOf(features[name], rides.map(read));
        for (const [name, value] of Object.entries(expected))
          expect(h.psi[name], `${model} ${name}`).toBeCloseTo(value, 9);
        const worst = Math.max(...Object.values(expected));
        expect(h.drift_status).toBe(worst >= PSI_ALERT ? 'ALERT' : worst >= PSI_WARNING ? 'WARNING' : 'OK');
        expect(h.drifted_features).toContain('estimated_distance_miles');
        expect(expected.estimated_distance_miles).toBeGreaterThan(PSI_ALERT);
      }

      // The same figures, published on the model_health topic for other consumers.
      const serde = await createSerde<ModelHealthRecord>(
        testRegistry(),
        valueSubject(fleet.topics.health),
        loadSchema('model_health'),
      );
      let published: ModelHealthRecord[] = [];
      await eventually(
        async () => {
          const records = await readTopic(testKafka('health-reader'), fleet.admin, fleet.topics.health);
          published = await Promise.all(records.map((r) => serde.decode(r.value)));
          return MODEL_NAMES.every((m) =>
            published.some(
              (p) =>
                p.model === m &&
                p.model_version === served(m) &&
                p.window_sec === WINDOW_SEC &&
                p.outcomes === sent.length,
            ),
          );
        },
        'model_health records of every model with all the outcomes',
        READ_BACK_MS,
      );
      const last = published
        .filter((p) => p.model === 'duration' && p.model_version === served('duration') && p.window_sec === WINDOW_SEC)
        .at(-1)!;
      expect(last.mae).toBeCloseTo(health('duration').mae!, 9);
      expect(last.drift_status).toBe('ALERT');
    },
  );
});
