import {
  isModelName,
  type ModelHealthRecord,
  type ModelName,
  type PredictionRecord,
  type RideCompleted,
  type RideStarted,
} from '@fleet/contract';
import { ModelStats, type StatsOptions } from './model-stats.js';
import type { ModelReference } from './reference.js';
import { SlidingCounters } from './windows.js';

/** Which field of an outcome each model predicts. */
export const TARGET_OF: Readonly<Record<ModelName, 'duration_min' | 'cost_usd' | 'tip_usd'>> = {
  duration: 'duration_min',
  cost: 'cost_usd',
  tip: 'tip_usd',
};

/** Options of {@link MonitorState}. */
export interface MonitorOptions extends StatsOptions {
  /** How long a ride's predictions wait for its outcome (and an outcome for its predictions). */
  joinTtlMs: number;
  /** Most rides held; beyond, the oldest is dropped. */
  maxPendingRides: number;
}

/** A model version the monitor knows from its card. */
export interface KnownVersion {
  model: string;
  version: string;
  reference: ModelReference | null;
}

/** What happened to the records the monitor joins, for `fleet_monitor_joins_total`. */
export type JoinResult =
  'joined' | 'duplicate' | 'unknown_model' | 'too_many_versions' | 'dropped_full' | 'expired_unjoined' | 'stale';

/** A version's prediction of a ride, as held until the ride's outcome joins it. */
interface HeldPrediction {
  stats: ModelStats;
  model: ModelName;
  version: string;
  shadow: boolean;
  value: number;
  predictedAt: number;
}

interface PendingRide {
  seenAt: number;
  /** The first prediction of each model version and role, by `model@version` (`…~shadow`). */
  predictions: Map<string, HeldPrediction>;
  outcome: RideCompleted | null;
  /** The live/shadow pairs of this ride counted in the comparisons already. */
  paired: Set<string> | null;
}

/**
 * A shadow version judged against the live version of its model on the same rides (those
 * with an outcome and a prediction of both), since the monitor started: what
 * `fleet compare` prints.
 */
export interface Comparison {
  model: ModelName;
  live_version: string;
  shadow_version: string;
  rides: number;
  live_mae: number;
  shadow_mae: number;
}

/** Versions tracked at most: a producer writing a new version per record cannot exhaust memory. */
const MAX_VERSIONS = 64;

/**
 * The monitor's state, pure and synchronous (the service feeds it records and a clock):
 * rides joined with their outcomes by ride id, holding at most `maxPendingRides` for at most
 * `joinTtlMs`; per model version, accuracy and drift over sliding windows. The first
 * prediction of a version for a ride counts, the first outcome of a ride counts, a ride's
 * inputs count once (among the last `maxPendingRides` rides started). Records too
 * old to count in any window (history read by a new consumer group) are skipped, not held.
 */
export class MonitorState {
  private readonly pending = new Map<string, PendingRide>();
  private readonly versions = new Map<string, ModelStats>();
  private readonly started: SlidingCounters;
  /**
   * Ids of the rides counted in the input bins, the last `maxPendingRides` of them in arrival
   * order: a ride read again (redelivered after a crash, published twice) counts once.
   */
  private readonly startedIds = new Set<string>();
  /** Live (not shadow) predictions counted per `model@version`: which version serves. */
  readonly livePredictions = new Map<string, number>();
  private readonly pairs = new Map<
    string,
    { c: Omit<Comparison, 'live_mae' | 'shadow_mae'>; live: number; shadow: number }
  >();
  readonly results: Record<JoinResult, number> = {
    joined: 0,
    duplicate: 0,
    unknown_model: 0,
    too_many_versions: 0,
    dropped_full: 0,
    expired_unjoined: 0,
    stale: 0,
  };
  /** The longest window, ms: older records count in no window. */
  private readonly spanMs: number;

  constructor(
    private readonly options: MonitorOptions,
    known: readonly KnownVersion[],
  ) {
    this.spanMs = Math.max(...options.windowsMs);
    this.started = new SlidingCounters(1, options.bucketMs, this.spanMs);
    for (const k of known) this.versions.set(`${k.model}@${k.version}`, this.stats(k.model, k.version, k.reference));
  }

  /** Rides held, waiting for an outcome or for late predictions. */
  get pendingRides(): number {
    return this.pending.size;
  }

  /** A ride started: its inputs, in every version's input bins (once per ride). */
  ride(ride: RideStarted, nowMs: number): void {
    if (this.startedIds.has(ride.ride_id)) return;
    if (!this.started.add(ride.event_time, nowMs, 0)) return;
    if (this.startedIds.size >= this.options.maxPendingRides) {
      this.startedIds.delete(this.startedIds.values().next().value as string);
    }
    this.startedIds.add(ride.ride_id);
    for (const stats of this.versions.values()) stats.ride(ride, ride.event_time, nowMs);
  }

  /** A prediction: counted, and joined with its ride's outcome when that is here. */
  prediction(p: PredictionRecord, nowMs: number): void {
    if (!isModelName(p.model)) {
      this.results.unknown_model++;
      return;
    }
    // Its outcome, due within the join TTL, would be older than every window; so it is for a
    // ride that started that long ago, scored again just now (a replay, a backfill into
    // predictions): held, such rides would fill the join and push out live ones.
    const oldest = nowMs - this.spanMs - this.options.joinTtlMs;
    if (p.predicted_at < oldest || p.event_time < oldest) {
      this.results.stale++;
      return;
    }
    const versionKey = `${p.model}@${p.model_version}`;
    const stats = this.versions.get(versionKey) ?? this.newVersion(versionKey, p.model, p.model_version);
    if (!stats) {
      // Past MAX_VERSIONS (a producer writing a new version string per record, say).
      this.results.too_many_versions++;
      return;
    }
    const ride = this.rideOf(p.ride_id, nowMs);
    const key = p.shadow ? `${versionKey}~shadow` : versionKey;
    if (ride.predictions.has(key)) {
      this.results.duplicate++;
      return;
    }
    const held: HeldPrediction = {
      stats,
      model: p.model,
      version: p.model_version,
      shadow: p.shadow,
      value: p.value,
      predictedAt: p.predicted_at,
    };
    ride.predictions.set(key, held);
    if (!p.shadow) this.livePredictions.set(versionKey, (this.livePredictions.get(versionKey) ?? 0) + 1);
    // A version running live and as a shadow at once counts once in its own accuracy.
    if (!ride.predictions.has(p.shadow ? versionKey : `${versionKey}~shadow`)) {
      stats.predicted(p.value, p.predicted_at, nowMs);
      if (ride.outcome) this.join(held, ride.outcome, nowMs);
    }
    if (ride.outcome) this.compare(ride, ride.outcome);
  }

  /** Each shadow version against the live version of its model, on the same rides. */
  comparisons(): Comparison[] {
    return [...this.pairs.values()].map(({ c, live, shadow }) => ({
      ...c,
      live_mae: live / c.rides,
      shadow_mae: shadow / c.rides,
    }));
  }

  /** An outcome: joined with every prediction of its ride here, and held for later ones. */
  outcome(o: RideCompleted, nowMs: number): void {
    if (o.event_time < nowMs - this.spanMs) {
      this.results.stale++;
      return;
    }
    const ride = this.rideOf(o.ride_id, nowMs);
    if (ride.outcome) {
      this.results.duplicate++;
      return;
    }
    ride.outcome = o;
    const joined = new Set<string>();
    for (const p of ride.predictions.values()) {
      const versionKey = `${p.model}@${p.version}`;
      if (joined.has(versionKey)) continue;
      joined.add(versionKey);
      this.join(p, o, nowMs);
    }
    this.compare(ride, o);
  }

  /** Forgets the rides held longer than the join TTL. */
  expire(nowMs: number): void {
    for (const [id, ride] of this.pending) {
      // Rides are held in arrival order: the first one not due ends the scan.
      if (nowMs - ride.seenAt < this.options.joinTtlMs) break;
      if (ride.outcome === null || ride.predictions.size === 0) this.results.expired_unjoined++;
      this.pending.delete(id);
    }
  }

  /** Every known version's health over every window, ending at `nowMs`. */
  health(nowMs: number): ModelHealthRecord[] {
    const out: ModelHealthRecord[] = [];
    for (const windowMs of this.options.windowsMs) {
      const rides = this.started.sum(windowMs, nowMs)[0];
      for (const stats of this.versions.values()) out.push(stats.health(windowMs, nowMs, rides));
    }
    return out;
  }

  private join(p: HeldPrediction, o: RideCompleted, nowMs: number) {
    p.stats.joined(p.value, o[TARGET_OF[p.model]], p.predictedAt, o.event_time, nowMs);
    this.results.joined++;
  }

  /** Counts every live/shadow pair of a ride with an outcome once. */
  private compare(ride: PendingRide, o: RideCompleted): void {
    const held = [...ride.predictions.values()];
    for (const s of held) {
      if (!s.shadow) continue;
      for (const l of held) {
        if (l.shadow || l.model !== s.model) continue;
        const pairKey = `${s.model}|${l.version}|${s.version}`;
        ride.paired ??= new Set();
        if (ride.paired.has(pairKey)) continue;
        ride.paired.add(pairKey);
        const actual = o[TARGET_OF[s.model]];
        let pair = this.pairs.get(pairKey);
        if (!pair) {
          if (this.pairs.size >= MAX_VERSIONS) continue;
          pair = {
            c: { model: s.model, live_version: l.version, shadow_version: s.version, rides: 0 },
            live: 0,
            shadow: 0,
          };
          this.pairs.set(pairKey, pair);
        }
        pair.c.rides++;
        pair.live += Math.abs(l.value - actual);
        pair.shadow += Math.abs(s.value - actual);
      }
    }
  }

  private rideOf(rideId: string, nowMs: number): PendingRide {
    let ride = this.pending.get(rideId);
    if (!ride) {
      if (this.pending.size >= this.options.maxPendingRides) {
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
        this.results.dropped_full++;
      }
      ride = { seenAt: nowMs, predictions: new Map(), outcome: null, paired: null };
      this.pending.set(rideId, ride);
    }
    return ride;
  }

  private newVersion(key: string, model: string, version: string): ModelStats | undefined {
    if (this.versions.size >= MAX_VERSIONS) return undefined;
    const stats = this.stats(model, version, null);
    this.versions.set(key, stats);
    return stats;
  }

  private stats(model: string, version: string, reference: ModelReference | null): ModelStats {
    return new ModelStats(model, version, reference, this.options);
  }
}
