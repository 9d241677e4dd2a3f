import { randomBytes } from 'node:crypto';
import type { RidePublisher } from '@fleet/client';
import type { RideOutcome, RideStarted } from '@fleet/contract';
import type { OutcomeSchedule } from './outcomes.js';

/** One ride published by the replay. */
export interface SentRide {
  ride: RideStarted;
  /** Index of the template ride it was made from. */
  template: number;
}

/** Options of {@link replayRides}. */
export interface ReplayOptions {
  /** Real rides to replay, cycled through in order. Their ride_id and event_time are replaced. */
  templates: readonly RideStarted[];
  /** Rides to send; `Infinity` streams until {@link ReplayOptions.shouldStop} says so. */
  count: number;
  /** Rides per second. */
  ratePerSec: number;
  /** Called about every 100 ms with how many rides were sent. */
  onProgress?: (sent: number) => void;
  /** Called with each group of rides once the broker acknowledged them. */
  onSent?: (rides: readonly SentRide[]) => void;
  /** Prefix of the fresh ride ids. @default a random run id */
  idPrefix?: string;
  /** Stops the replay early when it returns true. */
  shouldStop?: () => boolean;
  /**
   * Publishes each ride's `ride_completed` when it ends: `outcomes[i]` is what really happened
   * on `templates[i]`, and `schedule` ends the ride on its compressed clock.
   */
  completions?: { schedule: OutcomeSchedule; outcomes: readonly RideOutcome[] };
}

// The backend publishes through the client library a real backend would import.
export { createRidePublisher, type RidePublisher, type RidePublisherOptions } from '@fleet/client';

/** Tick of the pacing loop: rides are sent in small groups this often. */
const TICK_MS = 10;

/**
 * Replays real rides at a steady rate with fresh ride ids and `event_time` = now (the pickup
 * time stays the real one, so the models see the real hour of day). Resolves to the rides sent.
 */
export async function replayRides(publisher: RidePublisher, options: ReplayOptions): Promise<SentRide[]> {
  if (options.templates.length === 0) throw new Error('replay needs at least one template ride');
  const prefix = options.idPrefix ?? `ride-${randomBytes(4).toString('hex')}`;
  const sent: SentRide[] = [];
  const start = performance.now();
  let lastProgress = 0;
  while (sent.length < options.count && !options.shouldStop?.()) {
    const due = Math.min(options.count, Math.floor(((performance.now() - start) / 1000) * options.ratePerSec) + 1);
    const group: SentRide[] = [];
    for (let n = sent.length; n < due; n++) {
      const template = n % options.templates.length;
      group.push({
        ride: { ...options.templates[template], ride_id: `${prefix}-${n}`, event_time: Date.now() },
        template,
      });
    }
    if (group.length > 0) {
      await publisher.publish(group.map((g) => g.ride));
      const c = options.completions;
      if (c) for (const g of group) c.schedule.started(g.ride, c.outcomes[g.template]);
      sent.push(...group);
      options.onSent?.(group);
    }
    if (performance.now() - lastProgress > 100) {
      options.onProgress?.(sent.length);
      lastProgress = performance.now();
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  options.onProgress?.(sent.length);
  return sent;
}
