import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDecisionListener,
  createOutcomePublisher,
  createRidePublisher,
  type OutcomePublisher,
  type ReceivedDecision,
  type RidePublisher,
} from '@fleet/backend';
import { listModelVersions, loadSchema, readModelManifest, type PredictionRecord } from '@fleet/contract';
import { createSerde, groupLag, type AdminClient } from '@fleet/core';
import { audit, readFleetOutput, readTopic } from '../faults/lib/audit.js';
import { copyOfModels, eventually, testKafka, testLogger, testRegistry } from '../helpers.js';
import { allDecided, fleetOutput, streamRides, useOwnFleet, type RideStream } from './cli-fleet.js';
import { READ_BACK_MS, REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

/** The services' session timeout: a member gone silent is dropped after it. */
const SESSION_TIMEOUT_MS = 10_000;
/** A change of membership settles within this: a silent member dropped, then one rebalance. */
const GROUP_SETTLES_MS = SESSION_TIMEOUT_MS + REBALANCE_TIMEOUT_MS;
/** Above the longest pause a replacement can cause, so a degraded decision is a failure. */
const JOIN_TIMEOUT_MS = GROUP_SETTLES_MS + WORK_ALLOWANCE_MS;
const DECIDED_WITHIN_MS = JOIN_TIMEOUT_MS + WORK_ALLOWANCE_MS;
/** `fleet up`, `fleet shadow` and `fleet promote` wait this long for each new instance. */
const CLI_READY_MS = 120_000;
/** A replaced instance's grace (stopInstance, packages/cli/src/procs). */
const CLI_STOP_MS = 30_000;
/** One instance replaced by promote or rollback: the new one ready, the old one stopped. */
const REPLACE_MS = CLI_READY_MS + CLI_STOP_MS;

// Its own topics, groups, state and models directory: promote and rollback write the
// manifest of this copy, never the repository's.
const models = copyOfModels();
const LIVE = readModelManifest(models).duration.current;
const prefix = useOwnFleet('lifecycle', {
  MODELS_DIR: models,
  KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
  DECISION_JOIN_TIMEOUT_MS: String(JOIN_TIMEOUT_MS),
  // Left over in the operator's shell: the instances the CLI starts must still run the
  // version it records, live ones as live (else no promote would show, or no ride decided).
  MODEL_VERSION: LIVE,
  SHADOW: 'true',
});
const { runFleet } = await import('@fleet/cli');

const NEXT = listModelVersions('duration', models).at(-1)!;

const fleet = (...argv: string[]) => fleetOutput(runFleet, ...argv);

const durationVersionsLive = async () =>
  (
    JSON.parse(await fleet('status', '--json')) as {
      instances: Array<{ service: string; role: string; version: string }>;
    }
  ).instances
    .filter((i) => i.service === 'duration' && i.role === 'live')
    .map((i) => i.version);

describe('model lifecycle under a steady stream of rides: shadow, compare, promote, roll back, backfill', () => {
  let publisher: RidePublisher;
  let outcomes: OutcomePublisher;
  let admin: AdminClient;
  const decisions: ReceivedDecision[] = [];
  let stream: RideStream | undefined;
  const streamStartedAt = Date.now();

  beforeAll(
    async () => {
      expect(NEXT).not.toBe(LIVE);
      expect(await runFleet(['up', '--partitions', '6'])).toBe(0);
      const kafka = testKafka('lifecycle');
      admin = await kafka.admin();
      const listener = await createDecisionListener({
        kafka,
        registry: testRegistry(),
        topic: process.env.TOPIC_DECISIONS!,
        logger: testLogger(),
        onDecision: (d) => decisions.push(d),
      });
      await listener.start();
      publisher = await createRidePublisher(kafka, testRegistry(), process.env.TOPIC_RIDES!);
      outcomes = await createOutcomePublisher(kafka, testRegistry(), process.env.TOPIC_COMPLETED!, testLogger());
      // The backend also reports how each ride ended, so the monitor can judge both versions.
      stream = await streamRides(prefix, publisher, { gapMs: 20, outcomes });
    },
    testTimeoutMs(CLI_READY_MS, WORK_ALLOWANCE_MS),
  );

  afterAll(
    async () => {
      await stream?.stop();
      await publisher?.close();
      await outcomes?.close();
      await admin?.disconnect();
      await runFleet(['down']);
    },
    testTimeoutMs(CLI_STOP_MS, WORK_ALLOWANCE_MS),
  );

  it(
    'judges a shadow on the same rides, switches versions without losing a ride, each decided with one version',
    async () => {
      // Shadow: its own group; the decisions stay on the live version.
      await fleet('shadow', 'duration', NEXT);
      const compared = async () =>
        (JSON.parse(await fleet('compare', 'duration', '--json')) as { comparisons: Array<Record<string, number>> })
          .comparisons;
      await eventually(
        async () => ((await compared())[0]?.rides ?? 0) >= 50,
        'the monitor to compare the shadow with the live version on 50 rides',
        CLI_READY_MS + WORK_ALLOWANCE_MS,
      );
      const [comparison] = await compared();
      expect(comparison).toMatchObject({ live_version: LIVE, shadow_version: NEXT });
      expect(comparison.live_mae).toBeGreaterThan(0);
      expect(comparison.shadow_mae).toBeGreaterThan(0);
      expect(await fleet('compare', 'duration')).toContain('shadow MAE');
      await fleet('shadow', 'duration', '--stop');

      // Promote: the manifest moves, the two live instances are replaced one at a time,
      // decisions switch version; cost too, so decisions quote a fare range.
      expect(await runFleet(['scale', 'duration', '2'])).toBe(0);
      const promotedAt = Date.now();
      await fleet('promote', 'duration', NEXT);
      expect(readModelManifest(models).duration).toEqual({ current: NEXT, previous: LIVE });
      expect(await durationVersionsLive()).toEqual([NEXT, NEXT]);
      await fleet('promote', 'cost', NEXT);
      await eventually(
        () =>
          decisions.some(
            (d) => d.model_versions.duration === NEXT && d.model_versions.cost === NEXT && d.event_time > promotedAt,
          ),
        `decisions made with duration and cost ${NEXT}`,
        DECIDED_WITHIN_MS,
      );
      // Promoting the live version again replaces nothing.
      expect(await fleet('promote', 'duration', NEXT)).toContain('live already');

      // Roll back: the previous version again.
      const rolledBackAt = Date.now();
      await fleet('rollback', 'duration');
      expect(readModelManifest(models).duration).toEqual({ current: LIVE, previous: NEXT });
      expect(await durationVersionsLive()).toEqual([LIVE, LIVE]);
      await eventually(
        () => decisions.some((d) => d.model_versions.duration === LIVE && d.event_time > rolledBackAt),
        `decisions made with duration ${LIVE} again`,
        DECIDED_WITHIN_MS,
      );

      const ids = await allDecided(stream!, decisions, DECIDED_WITHIN_MS);

      // The fault suite's audit, on the topics themselves: every ride decided exactly once,
      // no conflicting decision, each made of the first live prediction of each model (shadow
      // predictions never count) and naming that prediction's version.
      const kafka = testKafka('lifecycle-audit');
      const output = await readFleetOutput(kafka, admin, testRegistry(), {
        predictions: process.env.TOPIC_PREDICTIONS!,
        decisions: process.env.TOPIC_DECISIONS!,
      });
      const report = audit(`${prefix}-`, stream!.eventTimes, output);
      expect(report).toMatchObject({ sent: ids.size, decided: ids.size, lost: [], unexpected: [], degraded: 0 });
      expect(report.duplicated, 'rides decided more than once').toEqual([]);
      expect(report.conflicting).toEqual([]);
      expect(report.orderViolations.slice(0, 5), 'decisions not made of the first live predictions').toEqual([]);
      expect(output.predictions.some((p) => p.value.shadow)).toBe(true);
      const decided = output.decisions.map((d) => d.value).filter((d) => ids.has(d.ride_id));
      const versionsUsed = new Set(decided.map((d) => d.model_versions.duration));
      expect(versionsUsed).toEqual(new Set([LIVE, NEXT]));
      // A version with an interval quotes a range that holds the point quote.
      const ranged = decided.filter((d) => d.model_versions.duration === NEXT);
      expect(
        JSON.parse(readFileSync(join(models, 'duration', NEXT, 'model.json'), 'utf8')).onnx.interval,
      ).toBeDefined();
      for (const d of ranged) {
        expect(d.eta_low_minutes!).toBeLessThanOrEqual(d.eta_minutes!);
        expect(d.eta_high_minutes!).toBeGreaterThanOrEqual(d.eta_minutes!);
      }
      expect(decided.filter((d) => d.model_versions.duration === LIVE).every((d) => d.eta_low_minutes === null)).toBe(
        true,
      );
      const fares = decided.filter((d) => d.model_versions.cost === NEXT);
      expect(fares.length).toBeGreaterThan(0);
      for (const d of fares) {
        expect(d.fare_low_usd!).toBeLessThanOrEqual(d.fare_quote_usd!);
        expect(d.fare_high_usd!).toBeGreaterThanOrEqual(d.fare_quote_usd!);
      }

      // The switch is visible in the monitor: both versions served live (a shadow's
      // predictions are not counted there), and both predicted within its window.
      const monitor = (
        JSON.parse(await fleet('status', '--json')) as { instances: Array<{ service: string; port: number }> }
      ).instances.find((i) => i.service === 'monitor')!;
      const metrics = await (await fetch(`http://127.0.0.1:${monitor.port}/metrics`)).text();
      for (const version of [LIVE, NEXT]) {
        const v = version.replaceAll('.', '\\.');
        expect(metrics).toMatch(
          new RegExp(`fleet_monitor_live_predictions_total\\{model="duration",version="${v}"[^}]*\\} [1-9]`),
        );
        expect(metrics).toMatch(
          new RegExp(`fleet_monitor_predictions\\{model="duration",version="${v}",window="15m"[^}]*\\} [1-9]`),
        );
      }

      // Backfill: the history since the stream started, re-scored with NEXT into its own
      // topic, the live groups untouched; run again, it resumes and finds nothing left.
      const committed = () => admin.fetchCommittedOffsets(`${prefix}.duration`, process.env.TOPIC_RIDES!);
      // Every ride is decided, but the rollback's last rebalance may still hold a commit of
      // the live group (spaced commits, or one refused mid-rebalance and made again after):
      // the group is read once it has committed every ride, so only the backfill could move it.
      const caughtUp = async () => (await groupLag(admin, `${prefix}.duration`, process.env.TOPIC_RIDES!)).total === 0;
      await eventually(caughtUp, 'the live group to commit every ride', GROUP_SETTLES_MS);
      const liveBefore = await committed();
      const backfillTopic = `${process.env.TOPIC_PREDICTIONS}.backfill`;
      // A new backfill needs --from, and is refused before it creates its topic.
      expect(await runFleet(['backfill', 'duration', NEXT]), 'exit code of a new backfill without --from').toBe(2);
      expect(await admin.listTopics()).not.toContain(backfillTopic);
      await fleet('backfill', 'duration', NEXT, '--from', new Date(streamStartedAt - 60_000).toISOString());
      const predictionSerde = await createSerde<PredictionRecord>(
        testRegistry(),
        `${backfillTopic}-value`,
        loadSchema('prediction'),
      );
      const backfilled = new Set<string>();
      for (const r of await readTopic(kafka, admin, backfillTopic)) {
        const p = await predictionSerde.decode(r.value);
        if (p.model_version === NEXT) backfilled.add(p.ride_id);
      }
      expect([...ids].filter((id) => !backfilled.has(id)).slice(0, 5), 'rides not backfilled').toEqual([]);
      expect(await committed(), 'the live group moved').toEqual(liveBefore);
      expect(await fleet('backfill', 'duration', NEXT)).toContain('nothing left to score');
      // Never into the fleet's own topics: re-scored history there would be decided again.
      const intoLive = ['backfill', 'duration', NEXT, '--topic', process.env.TOPIC_PREDICTIONS!];
      expect(await runFleet(intoLive), 'exit code of a backfill into the live predictions').toBe(2);
      // Run again after new rides: it resumes from its own committed offsets, no --from needed.
      const later = Array.from({ length: 5 }, (_, i) => ({
        ...stream!.template,
        ride_id: `${prefix}-later-${i}`,
        event_time: Date.now(),
      }));
      await publisher.publish(later);
      await fleet('backfill', 'duration', NEXT);
      const after = new Map<string, number>();
      for (const r of await readTopic(kafka, admin, backfillTopic)) {
        const p = await predictionSerde.decode(r.value);
        after.set(p.ride_id, (after.get(p.ride_id) ?? 0) + 1);
      }
      expect(later.map((r) => after.get(r.ride_id) ?? 0)).toEqual([1, 1, 1, 1, 1]);
    },
    testTimeoutMs(
      CLI_READY_MS + WORK_ALLOWANCE_MS,
      CLI_READY_MS,
      3 * REPLACE_MS,
      DECIDED_WITHIN_MS,
      2 * REPLACE_MS,
      DECIDED_WITHIN_MS,
      DECIDED_WITHIN_MS,
      2 * READ_BACK_MS,
      GROUP_SETTLES_MS,
      READ_BACK_MS + WORK_ALLOWANCE_MS,
    ),
  );
});
