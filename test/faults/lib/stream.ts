/**
 * Streams real rides with unique ids into a fleet and watches the decisions come back.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import {
  createDecisionListener,
  createRidePublisher,
  replayRides,
  type DecisionListener,
  type RidePublisher,
} from '@fleet/backend';
import { loadRideCsv, type RideStarted } from '@fleet/contract';
import { createKafkaClient, createLogger, kafkaClientKind } from '@fleet/core';
import { eventually, stack, testRegistry } from '../../helpers.js';

const CSV = new URL('../../../models/data/test_rides.csv', import.meta.url).pathname;
let templates: RideStarted[] | undefined;

async function rideTemplates(): Promise<RideStarted[]> {
  templates ??= (await loadRideCsv(CSV)).rows.flatMap((r) => (r.ok ? [r.ride] : []));
  return templates;
}

/** A decision as the backend saw it (first receipt). */
export interface Seen {
  decidedAt: number;
  receivedAt: number;
  complete: boolean;
}

/** Options of {@link RideTracker.stream}. */
export interface StreamOptions {
  /** Rides per second. @default 40 */
  ratePerSec?: number;
  /** Share of rides published a second time (half at once, half ~3 s later). @default 0 */
  duplicateShare?: number;
}

/** A running stream of rides. */
export interface RideStream {
  /** Ride id → event_time, for every ride the broker acknowledged. */
  readonly sent: Map<string, number>;
  /** Ride id → when it was first handed to the publisher (its event_time): a publish that waits for the broker counts. */
  readonly sentAt: Map<string, number>;
  /** How many extra (duplicate) publications were made. */
  duplicatesSent: number;
  /** Publications that failed and were sent again (the backend's at-least-once). */
  republished: number;
  stop(): Promise<void>;
}

/** A publisher and a decisions listener on one fleet's topics. */
export interface RideTracker {
  /** Ride id → its first received decision. */
  readonly seen: Map<string, Seen>;
  /** Starts streaming rides whose ids start with `idPrefix`. */
  stream(idPrefix: string, options?: StreamOptions): Promise<RideStream>;
  /** Publishes rides at once (no pacing). */
  publish(rides: RideStarted[]): Promise<void>;
  /** Waits until every ride of `ids` has a decision. */
  waitDecided(ids: Iterable<string>, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** How long after the original a delayed duplicate is published. */
const DUPLICATE_DELAY_MS = 3000;

/**
 * A publisher that also publishes a `share` of the rides a second time, half in the same
 * send and half about 3 s later (its `close` publishes the delayed ones still due).
 */
function withDuplicates(publisher: RidePublisher, share: number, onDuplicate: () => void): RidePublisher {
  const later: Array<{ ride: RideStarted; due: number }> = [];
  return {
    async publish(rides) {
      const group = [...rides];
      for (const ride of rides) {
        if (share <= 0 || Math.random() >= share) continue;
        onDuplicate();
        if (Math.random() < 0.5) group.push(ride);
        else later.push({ ride, due: Date.now() + DUPLICATE_DELAY_MS });
      }
      while (later.length > 0 && later[0].due <= Date.now()) group.push(later.shift()!.ride);
      await publisher.publish(group);
    },
    async close() {
      if (later.length > 0) await publisher.publish(later.splice(0).map((l) => l.ride));
    },
  };
}

/**
 * Connects a publisher and a listener to the fleet's topics. They log into `tracker.log`
 * beside the fleet's instances (`LOG_LEVEL`, default info): a broker fault makes the
 * Kafka client log every refused connection, and a listener that goes silent says why there.
 */
export async function createRideTracker(fleet: {
  topics: { rides: string; decisions: string };
  logDir: string;
}): Promise<RideTracker> {
  const { topics } = fleet;
  const logFile = createWriteStream(join(fleet.logDir, 'tracker.log'), { flags: 'a' });
  const logger = createLogger({
    service: 'faults-tracker',
    level: process.env.LOG_LEVEL ?? 'info',
    destination: logFile,
  });
  const kafka = createKafkaClient(
    { client: kafkaClientKind(), brokers: stack().brokers, clientId: 'faults-tracker' },
    logger,
  );
  const registry = testRegistry();
  const seen = new Map<string, Seen>();
  let retries = 0;
  const publisher: RidePublisher = await createRidePublisher(kafka, registry, topics.rides, {
    onRetry: () => retries++,
  });
  const listener: DecisionListener = await createDecisionListener({
    kafka,
    registry,
    topic: topics.decisions,
    logger,
    onDecision: (d) => {
      if (!seen.has(d.ride_id))
        seen.set(d.ride_id, { decidedAt: d.decided_at, receivedAt: d.received_at, complete: d.complete });
    },
  });
  await listener.start();
  const all = await rideTemplates();

  return {
    seen,
    publish: (rides) => publisher.publish(rides),
    async stream(idPrefix, options = {}) {
      const result: RideStream = {
        sent: new Map(),
        sentAt: new Map(),
        duplicatesSent: 0,
        republished: 0,
        stop: async () => {},
      };
      const retriesBefore = retries;
      const duplicating = withDuplicates(publisher, options.duplicateShare ?? 0, () => result.duplicatesSent++);
      let running = true;
      // Paced by the backend's own replay; a send the broker refuses is sent again by the
      // backend's publisher (so a ride may be published twice, and is decided once).
      const loop = replayRides(duplicating, {
        templates: all,
        count: Number.POSITIVE_INFINITY,
        ratePerSec: options.ratePerSec ?? 40,
        idPrefix,
        shouldStop: () => !running,
        onSent: (group) => {
          for (const { ride } of group) {
            result.sent.set(ride.ride_id, ride.event_time);
            result.sentAt.set(ride.ride_id, ride.event_time);
          }
          result.republished = retries - retriesBefore;
        },
      });
      result.stop = async () => {
        running = false;
        await loop;
        // The delayed duplicates are still published: 10 % means 10 %.
        await duplicating.close();
      };
      return result;
    },
    async waitDecided(ids, what, timeoutMs = 90_000) {
      const list = [...ids];
      await eventually(() => list.every((id) => seen.has(id)), what, timeoutMs);
    },
    async close() {
      await listener.stop().catch(() => undefined);
      await publisher.close().catch(() => undefined);
      await new Promise<void>((resolve) => logFile.end(resolve));
    },
  };
}
