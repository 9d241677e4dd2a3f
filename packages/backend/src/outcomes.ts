import type { RideCompleted, RideOutcome, RideStarted } from '@fleet/contract';
import { createTopicSerde, retry, type KafkaClient, type Logger, type Registry } from '@fleet/core';

/** Publishes `ride_completed` events: what the backend learns when the meter stops. */
export interface OutcomePublisher {
  /** Sends `outcomes` in one request, keyed by `ride_id`; resolves once the broker acknowledged them. */
  publish(outcomes: readonly RideCompleted[]): Promise<void>;
  close(): Promise<void>;
}

/** Connects an {@link OutcomePublisher} to `topic`, registering the schema if needed. */
export async function createOutcomePublisher(
  kafka: KafkaClient,
  registry: Registry,
  topic: string,
  logger: Logger,
): Promise<OutcomePublisher> {
  const serde = await createTopicSerde<RideCompleted>(registry, topic, 'ride_completed', logger);
  const producer = await kafka.producer();
  return {
    async publish(outcomes) {
      const records = outcomes.map((o) => ({ key: o.ride_id, value: serde.encode(o) }));
      // As for rides: a send the broker failed under is sent again (the monitor counts an
      // outcome once).
      await retry(() => producer.send([{ topic, records }]), { retries: 20, maxDelayMs: 5000 });
    },
    close: () => producer.disconnect(),
  };
}

/** The `ride_completed` record of `ride`, whose real outcome is `outcome`, emitted at `nowMs`. */
export function completionOf(ride: RideStarted, outcome: RideOutcome, nowMs: number): RideCompleted {
  return {
    ride_id: ride.ride_id,
    event_time: nowMs,
    dropoff_time: outcome.dropoff_time ?? Math.round(ride.pickup_time + outcome.duration_min * 60_000),
    duration_min: outcome.duration_min,
    cost_usd: outcome.cost_usd,
    tip_usd: outcome.tip_usd,
    total_usd: outcome.total_usd ?? Math.round((outcome.cost_usd + outcome.tip_usd) * 100) / 100,
  };
}

/** Options of {@link scheduleOutcomes}. */
export interface OutcomeScheduleOptions {
  /**
   * How much faster than real time rides end: a ride of `d` minutes ends `d / timeFactor`
   * minutes after it started (600: a 12-minute ride in 1.2 s).
   */
  timeFactor: number;
  /** Called with each group of outcomes once the broker acknowledged them. */
  onPublished?: (outcomes: readonly RideCompleted[]) => void;
  /** Called when a group could not be sent even after retries (it is dropped). */
  onError?: (err: unknown) => void;
}

/** The outcomes of started rides, each published when its ride ends on a compressed clock. */
export interface OutcomeSchedule {
  /** `ride` started now and will end as `outcome` says. */
  started(ride: RideStarted, outcome: RideOutcome): void;
  /** Outcomes published so far. */
  readonly published: number;
  /** Outcomes still waiting for their ride to end. */
  readonly waiting: number;
  /** Resolves once every outcome scheduled so far is published. */
  drain(): Promise<void>;
  /** Stops publishing; what still waits is dropped. */
  stop(): void;
}

/**
 * Tick of the schedule: due outcomes are sent in groups this often. Outcomes are on no ride's
 * path (the monitor judges them over minutes), so a coarse tick costs nothing and sends a
 * tenth of the requests a 10 ms one did, CPU the fleet beside it gets instead.
 */
const TICK_MS = 100;

/**
 * Publishes each ride's `ride_completed` when the ride ends, the way a backend does when the
 * meter stops: `started` at time t, a ride whose real duration is `d` ends at
 * t + d / `timeFactor` (at once when `d` ≤ 0, as some recorded trips have).
 */
export function scheduleOutcomes(publisher: OutcomePublisher, options: OutcomeScheduleOptions): OutcomeSchedule {
  const heap = new DueHeap<{ ride: RideStarted; outcome: RideOutcome }>();
  let published = 0;
  let sending = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    const due = heap.popDue(Date.now());
    if (due.length === 0) return;
    const now = Date.now();
    const outcomes = due.map((d) => completionOf(d.ride, d.outcome, now));
    sending = sending
      .then(() => publisher.publish(outcomes))
      .then(
        () => {
          published += outcomes.length;
          options.onPublished?.(outcomes);
        },
        (err: unknown) => options.onError?.(err),
      );
  }, TICK_MS);
  return {
    started(ride, outcome) {
      if (stopped) return;
      heap.push(Date.now() + Math.max(0, (outcome.duration_min * 60_000) / options.timeFactor), { ride, outcome });
    },
    get published() {
      return published;
    },
    get waiting() {
      return heap.size;
    },
    async drain() {
      while (heap.size > 0 && !stopped) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      await sending;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** A binary min-heap of items by due time. */
class DueHeap<T> {
  private readonly items: Array<{ at: number; item: T }> = [];

  get size(): number {
    return this.items.length;
  }

  push(at: number, item: T): void {
    const a = this.items;
    a.push({ at, item });
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (a[parent].at <= a[i].at) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  /** Removes and returns, earliest first, every item due at `now`. */
  popDue(now: number): T[] {
    const out: T[] = [];
    const a = this.items;
    while (a.length > 0 && a[0].at <= now) {
      out.push(a[0].item);
      const last = a.pop()!;
      if (a.length === 0) break;
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].at < a[m].at) m = l;
        if (r < a.length && a[r].at < a[m].at) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return out;
  }
}
