import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { completionOf, type OutcomePublisher, type ReceivedDecision, type RidePublisher } from '@fleet/backend';
import { loadRideCsv, type RideOutcome, type RideStarted } from '@fleet/contract';
import type { AdminClient, KafkaClient } from '@fleet/core';
import { readTopic } from '../faults/lib/audit.js';
import { eventually, randomName, stack } from '../helpers.js';

/**
 * Points the `fleet` CLI of this test process at topics, groups and a state directory of
 * its own (it reads them from the environment), so it shares the broker with other tests
 * without touching their groups; `extra` adds variables (timeouts, MODELS_DIR). Returns the
 * prefix of the names. Call before importing `@fleet/cli`.
 */
export function useOwnFleet(name: string, extra: Record<string, string>): string {
  const prefix = randomName(name);
  Object.assign(process.env, {
    KAFKA_BROKERS: stack().brokers.join(','),
    SCHEMA_REGISTRY_URL: stack().registryUrl,
    TOPIC_RIDES: `${prefix}.ride_started`,
    TOPIC_PREDICTIONS: `${prefix}.predictions`,
    TOPIC_DECISIONS: `${prefix}.ride_decisions`,
    TOPIC_COMPLETED: `${prefix}.ride_completed`,
    TOPIC_MODEL_HEALTH: `${prefix}.model_health`,
    FLEET_GROUP_PREFIX: prefix,
    FLEET_STATE_DIR: mkdtempSync(join(tmpdir(), `fleet-${name}-`)),
    ...extra,
  });
  return prefix;
}

/** Runs a `fleet` command, expects exit code 0, and returns what it printed on stdout. */
export async function fleetOutput(runFleet: (argv: string[]) => Promise<number>, ...argv: string[]): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (text: string) => lines.push(text);
  try {
    expect(await runFleet(argv), `fleet ${argv.join(' ')}`).toBe(0);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

/** A steady stream of real rides (the test split), one every `gapMs`, until stopped. */
export interface RideStream {
  /** The ride ids sent so far. */
  readonly sent: string[];
  /** The event time of each ride sent (what the fault suite's audit checks decisions against). */
  readonly eventTimes: Map<string, number>;
  /** A ride of the test split (a template for more). */
  readonly template: RideStarted;
  /** Stops the stream once the ride being sent is acknowledged. */
  stop(): Promise<void>;
}

/**
 * Streams rides with ids `<prefix>-<n>`; with `outcomes`, each ride's `ride_completed`
 * follows it at once (the meter on a fast clock), so the monitor can judge the predictions.
 */
export async function streamRides(
  prefix: string,
  publisher: RidePublisher,
  options: { gapMs: number; outcomes?: OutcomePublisher },
): Promise<RideStream> {
  const { rows } = await loadRideCsv(new URL('../../models/data/test_rides.csv', import.meta.url).pathname);
  const known = rows.flatMap((r) => (r.ok && r.outcome ? [{ ride: r.ride, outcome: r.outcome as RideOutcome }] : []));
  const sent: string[] = [];
  const eventTimes = new Map<string, number>();
  let streaming = true;
  const done = (async () => {
    for (let n = 0; streaming; n++) {
      const { ride: template, outcome } = known[n % known.length];
      const ride: RideStarted = { ...template, ride_id: `${prefix}-${n}`, event_time: Date.now() };
      await publisher.publish([ride]);
      sent.push(ride.ride_id);
      eventTimes.set(ride.ride_id, ride.event_time);
      if (options.outcomes) await options.outcomes.publish([completionOf(ride, outcome, Date.now())]);
      await new Promise((resolve) => setTimeout(resolve, options.gapMs));
    }
  })();
  return {
    sent,
    eventTimes,
    template: known[0].ride,
    stop: async () => {
      streaming = false;
      await done;
    },
  };
}

/** How many records the decisions topic holds per ride of `ids` (read back in a new group). */
export async function decisionsPerRide(
  kafka: KafkaClient,
  admin: AdminClient,
  topic: string,
  ids: ReadonlySet<string>,
): Promise<Map<string, number>> {
  const perRide = new Map<string, number>();
  for (const r of await readTopic(kafka, admin, topic)) {
    const key = r.key?.toString() ?? '';
    if (ids.has(key)) perRide.set(key, (perRide.get(key) ?? 0) + 1);
  }
  return perRide;
}

/**
 * Stops the stream, waits until every ride it sent is decided (within `withinMs`) and
 * expects none degraded; returns the ids sent.
 */
export async function allDecided(
  stream: RideStream,
  decisions: readonly ReceivedDecision[],
  withinMs: number,
): Promise<Set<string>> {
  await stream.stop();
  const ids = new Set(stream.sent);
  await eventually(
    () => new Set(decisions.filter((d) => ids.has(d.ride_id)).map((d) => d.ride_id)).size === ids.size,
    'a decision for every ride',
    withinMs,
  );
  expect(
    decisions.filter((d) => ids.has(d.ride_id) && !d.complete),
    'degraded decisions',
  ).toEqual([]);
  return ids;
}
