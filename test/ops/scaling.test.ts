import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecisionListener, createRidePublisher, type ReceivedDecision, type RidePublisher } from '@fleet/backend';
import { groupLag } from '@fleet/core';
import { eventually, testKafka, testLogger, testRegistry } from '../helpers.js';
import { allDecided, decisionsPerRide, fleetOutput, streamRides, useOwnFleet, type RideStream } from './cli-fleet.js';
import { READ_BACK_MS, REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';

/** The services' session timeout: a member gone silent is dropped after it. */
const SESSION_TIMEOUT_MS = 10_000;
/** A change of membership settles within this: a silent member dropped, then one rebalance. */
const GROUP_SETTLES_MS = SESSION_TIMEOUT_MS + REBALANCE_TIMEOUT_MS;
/**
 * The decision service's join timeout, above the longest pause a rebalance can cause (and
 * the backlog after it), so every decision is promised complete and a degraded one is a
 * failure, whatever the machine's speed.
 */
const JOIN_TIMEOUT_MS = GROUP_SETTLES_MS + WORK_ALLOWANCE_MS;
/** A ride is decided at the latest a join timeout after its first prediction. */
const DECIDED_WITHIN_MS = JOIN_TIMEOUT_MS + WORK_ALLOWANCE_MS;
/** `fleet up` and `fleet scale` wait this long for new instances (packages/cli/src/commands). */
const CLI_READY_MS = 120_000;
/** `fleet scale` and `fleet down` give a surplus instance this grace (stopInstance, packages/cli/src/procs). */
const CLI_STOP_MS = 30_000;

const prefix = useOwnFleet('scale', {
  KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
  DECISION_JOIN_TIMEOUT_MS: String(JOIN_TIMEOUT_MS),
});
const { runFleet } = await import('@fleet/cli');

async function statusJson(): Promise<{
  instances: Array<{ service: string; ready: boolean; partitions: string[]; port: number }>;
}> {
  return JSON.parse(await fleetOutput(runFleet, 'status', '--json'));
}

const durationPartitions = async () =>
  (await statusJson()).instances.filter((i) => i.service === 'duration').map((i) => i.partitions);

describe('scaling a consumer group under a steady stream of rides', () => {
  let publisher: RidePublisher;
  const decisions: ReceivedDecision[] = [];
  let stream: RideStream | undefined;

  beforeAll(
    async () => {
      expect(await runFleet(['up', '--partitions', '6'])).toBe(0);
      const kafka = testKafka('scaling');
      const listener = await createDecisionListener({
        kafka,
        registry: testRegistry(),
        topic: process.env.TOPIC_DECISIONS!,
        logger: testLogger(),
        onDecision: (d) => decisions.push(d),
      });
      await listener.start();
      publisher = await createRidePublisher(kafka, testRegistry(), process.env.TOPIC_RIDES!);
      stream = await streamRides(prefix, publisher, { gapMs: 20 });
    },
    testTimeoutMs(CLI_READY_MS, WORK_ALLOWANCE_MS),
  );

  afterAll(
    async () => {
      await stream?.stop();
      await publisher?.close();
      await runFleet(['down']);
    },
    testTimeoutMs(CLI_STOP_MS, WORK_ALLOWANCE_MS),
  );

  it(
    'spreads the partitions over 3 instances and back to 1, and every ride gets exactly one decision',
    async () => {
      expect(await durationPartitions()).toEqual([expect.arrayContaining([expect.any(String)])]);
      expect((await durationPartitions())[0]).toHaveLength(6);

      expect(await runFleet(['scale', 'duration', '3'])).toBe(0);
      await eventually(
        async () => {
          const parts = await durationPartitions();
          return parts.length === 3 && parts.every((p) => p.length === 2);
        },
        'the 6 partitions to be spread over 3 duration instances',
        GROUP_SETTLES_MS,
      );
      const spread = (await durationPartitions()).flat().sort();
      expect(new Set(spread).size).toBe(6);

      expect(await runFleet(['scale', 'duration', '1'])).toBe(0);
      await eventually(
        async () => {
          const parts = await durationPartitions();
          return parts.length === 1 && parts[0].length === 6;
        },
        'one duration instance to own all 6 partitions again',
        GROUP_SETTLES_MS,
      );

      const ids = await allDecided(stream!, decisions, DECIDED_WITHIN_MS);
      // Not one ride decided twice, on the topic itself (a listener may receive a record twice).
      const admin = await testKafka('scaling-lag').admin();
      const perRide = await decisionsPerRide(testKafka('scaling-reader'), admin, process.env.TOPIC_DECISIONS!, ids);
      expect(perRide.size).toBe(ids.size);
      expect(
        [...perRide].filter(([, n]) => n > 1),
        'rides decided more than once',
      ).toEqual([]);

      // Every instance's /metrics parses as Prometheus text, and its counters moved with the load.
      for (const instance of (await statusJson()).instances) {
        const text = await (await fetch(`http://127.0.0.1:${instance.port}/metrics`)).text();
        const sample = (name: string) =>
          text
            .split('\n')
            .filter((l) => l.startsWith(name))
            .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
        expect(sample('fleet_records_consumed_total')).toBeGreaterThan(0);
        const output: Record<string, string> = {
          decision: 'fleet_decisions_total',
          // The monitor makes no record per ride: the predictions of its windows moved.
          monitor: 'fleet_monitor_predictions',
        };
        expect(sample(output[instance.service] ?? 'fleet_event_to_output_seconds_count')).toBeGreaterThan(0);
        expect(sample('fleet_rebalances_total')).toBeGreaterThan(0);
      }

      await eventually(
        async () => {
          const lags = await Promise.all([
            groupLag(admin, `${prefix}.duration`, process.env.TOPIC_RIDES!),
            groupLag(admin, `${prefix}.decision`, process.env.TOPIC_PREDICTIONS!),
          ]);
          return lags.every((l) => l.total === 0);
        },
        'lag back to 0',
        WORK_ALLOWANCE_MS,
      );
      await admin.disconnect();
    },
    testTimeoutMs(
      CLI_READY_MS,
      GROUP_SETTLES_MS,
      CLI_STOP_MS,
      GROUP_SETTLES_MS,
      DECIDED_WITHIN_MS,
      READ_BACK_MS,
      WORK_ALLOWANCE_MS,
    ),
  );
});
