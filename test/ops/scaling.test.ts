import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecisionListener, createRidePublisher, type ReceivedDecision, type RidePublisher } from '@fleet/backend';
import { loadRideCsv, type RideStarted } from '@fleet/contract';
import { groupLag } from '@fleet/core';
import { eventually, randomName, stack, testKafka, testLogger, testRegistry } from '../helpers.js';

// The CLI reads its topics, groups and state directory from the environment; this test
// gives it its own, so it shares the broker with other tests without touching their groups.
const prefix = randomName('scale');
Object.assign(process.env, {
  KAFKA_BROKERS: stack().brokers.join(','),
  SCHEMA_REGISTRY_URL: stack().registryUrl,
  TOPIC_RIDES: `${prefix}.ride_started`,
  TOPIC_PREDICTIONS: `${prefix}.predictions`,
  TOPIC_DECISIONS: `${prefix}.ride_decisions`,
  FLEET_GROUP_PREFIX: prefix,
  FLEET_STATE_DIR: mkdtempSync(join(tmpdir(), 'fleet-scale-')),
  // Rebalances pause a group for seconds on this 2-core machine; the join timeout is kept
  // above that, so every decision can be complete and a late one would show as a failure.
  DECISION_JOIN_TIMEOUT_MS: '30000',
});
const { runFleet } = await import('@fleet/cli');

async function statusJson(): Promise<{
  instances: Array<{ service: string; ready: boolean; partitions: string[]; port: number }>;
}> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (text: string) => lines.push(text);
  try {
    expect(await runFleet(['status', '--json'])).toBe(0);
  } finally {
    console.log = log;
  }
  return JSON.parse(lines.join('\n'));
}

const durationPartitions = async () =>
  (await statusJson()).instances.filter((i) => i.service === 'duration').map((i) => i.partitions);

describe('scaling a consumer group under a steady stream of rides', () => {
  let publisher: RidePublisher;
  const decisions: ReceivedDecision[] = [];
  const sent: string[] = [];
  let streaming = true;
  let stream: Promise<void>;

  beforeAll(async () => {
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
    const { rows } = await loadRideCsv(new URL('../../models/data/test_rides.csv', import.meta.url).pathname);
    const templates = rows.flatMap((r) => (r.ok ? [r.ride] : []));
    stream = (async () => {
      for (let n = 0; streaming; n++) {
        const ride: RideStarted = {
          ...templates[n % templates.length],
          ride_id: `${prefix}-${n}`,
          event_time: Date.now(),
        };
        await publisher.publish([ride]);
        sent.push(ride.ride_id);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
  }, 240_000);

  afterAll(async () => {
    streaming = false;
    await stream;
    await publisher?.close();
    await runFleet(['down']);
  }, 120_000);

  it('spreads the partitions over 3 instances and back to 1, and every ride gets exactly one decision', async () => {
    expect(await durationPartitions()).toEqual([expect.arrayContaining([expect.any(String)])]);
    expect((await durationPartitions())[0]).toHaveLength(6);

    expect(await runFleet(['scale', 'duration', '3'])).toBe(0);
    await eventually(
      async () => {
        const parts = await durationPartitions();
        return parts.length === 3 && parts.every((p) => p.length === 2);
      },
      'the 6 partitions to be spread over 3 duration instances',
      60_000,
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
      60_000,
    );

    streaming = false;
    await stream;
    const ids = new Set(sent);
    await eventually(
      () => new Set(decisions.filter((d) => ids.has(d.ride_id)).map((d) => d.ride_id)).size === ids.size,
      'a decision for every ride',
      90_000,
    );
    const mine = decisions.filter((d) => ids.has(d.ride_id));
    expect(mine.length).toBe(ids.size); // not one ride decided twice
    expect(mine.every((d) => d.complete)).toBe(true);

    // Every instance's /metrics parses as Prometheus text, and its counters moved with the load.
    for (const instance of (await statusJson()).instances) {
      const text = await (await fetch(`http://127.0.0.1:${instance.port}/metrics`)).text();
      const sample = (name: string) =>
        text
          .split('\n')
          .filter((l) => l.startsWith(name))
          .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      expect(sample('fleet_records_consumed_total')).toBeGreaterThan(0);
      expect(
        sample(instance.service === 'decision' ? 'fleet_decisions_total' : 'fleet_ride_to_prediction_seconds_count'),
      ).toBeGreaterThan(0);
      expect(sample('fleet_rebalances_total')).toBeGreaterThan(0);
    }

    const admin = await testKafka('scaling-lag').admin();
    await eventually(
      async () => {
        const lags = await Promise.all([
          groupLag(admin, `${prefix}.duration`, process.env.TOPIC_RIDES!),
          groupLag(admin, `${prefix}.decision`, process.env.TOPIC_PREDICTIONS!),
        ]);
        return lags.every((l) => l.total === 0);
      },
      'lag back to 0',
      30_000,
    );
    await admin.disconnect();
  }, 300_000);
});
