import { decide, estimateRange, quotedRanges } from './rules.js';
import { MODELS, type ModelName, type Prediction, type RideDecision } from './types.js';

/** Options of {@link JoinTable}. */
export interface JoinTableOptions {
  /** How long a ride waits for its missing predictions before a degraded decision. */
  joinTimeoutMs: number;
  /** How long a decided ride is remembered, so duplicates and late predictions are ignored. */
  decidedTtlMs: number;
}

/** What offering a prediction did. */
export type OfferResult =
  | { kind: 'decided'; decision: RideDecision }
  | { kind: 'pending' }
  | { kind: 'duplicate' }
  | { kind: 'late' }
  | { kind: 'shadow' }
  | { kind: 'unknown-model' };

interface Pending {
  partition: number;
  firstOffset: bigint;
  firstSeenAt: number;
  eventTime: number;
  values: Partial<Record<ModelName, { value: number; version: string; lower: number | null; upper: number | null }>>;
  /** A decision was emitted and awaits the broker's acknowledgement. */
  deciding: boolean;
}

const isModel = (name: string): name is ModelName => (MODELS as readonly string[]).includes(name);

/**
 * The decision service's join state: predictions per ride until all three arrived or the
 * join timed out, and the rides decided recently. Pure and synchronous; the service feeds it.
 *
 * Rules: the first prediction of a model for a ride counts, a second one of the same model
 * is a duplicate (so a ride is decided with exactly one version of each model, also while
 * `fleet promote` replaces versions); a prediction of a ride decided already is late and
 * ignored (a decision is never revised, so a ride never gets two different decisions); a
 * shadow version's prediction never counts.
 */
export class JoinTable {
  private readonly pending = new Map<string, Pending>();
  private readonly decided = new Map<string, number>();
  private heldUntil = 0;
  private suspended = false;

  constructor(private readonly options: JoinTableOptions) {}

  /** Rides waiting for predictions (or for their decision to be acknowledged). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Adds one prediction read at `partition`/`offset`. */
  offer(p: Prediction, partition: number, offset: string, now: number): OfferResult {
    if (p.shadow) return { kind: 'shadow' };
    if (!isModel(p.model)) return { kind: 'unknown-model' };
    if (this.decided.has(p.ride_id)) return { kind: 'late' };
    let entry = this.pending.get(p.ride_id);
    if (!entry) {
      entry = {
        partition,
        firstOffset: BigInt(offset),
        firstSeenAt: now,
        eventTime: p.event_time,
        values: {},
        deciding: false,
      };
      this.pending.set(p.ride_id, entry);
    }
    if (entry.deciding) return { kind: 'late' };
    const duplicate = entry.values[p.model] !== undefined;
    if (!duplicate)
      entry.values[p.model] = { value: p.value, version: p.model_version, lower: p.lower, upper: p.upper };
    // Complete also when re-read after a failed send reopened the ride (see `reopen`).
    if (MODELS.every((m) => entry.values[m])) return { kind: 'decided', decision: this.close(p.ride_id, entry, now) };
    return duplicate ? { kind: 'duplicate' } : { kind: 'pending' };
  }

  /** Degraded decisions for the rides whose join timed out by `now` (none while held or suspended). */
  expire(now: number): RideDecision[] {
    const out: RideDecision[] = [];
    if (this.suspended || now < this.heldUntil) return out;
    for (const [rideId, entry] of this.pending) {
      if (entry.deciding) continue;
      // Entries are in arrival order: the first one not yet due ends the scan.
      if (now - entry.firstSeenAt < this.options.joinTimeoutMs) break;
      out.push(this.close(rideId, entry, now));
    }
    return out;
  }

  /**
   * The decisions of `rideIds` could not be sent: the rides join again with what they have,
   * so the next prediction read for them (the batch is fetched again) or the next timeout
   * decides them once more.
   */
  reopen(rideIds: Iterable<string>): void {
    for (const id of rideIds) {
      this.decided.delete(id);
      const entry = this.pending.get(id);
      if (entry) entry.deciding = false;
    }
  }

  /** The broker acknowledged the decisions of `rideIds`: they no longer hold back offsets. */
  settle(rideIds: Iterable<string>): void {
    for (const id of rideIds) this.pending.delete(id);
  }

  /**
   * The offset of the oldest prediction in `partition` whose ride is not settled yet, or
   * null when none is: the consumer commits up to it, never past it, so a restart re-reads
   * every prediction of every ride still joining.
   */
  lowWatermark(partition: number): bigint | null {
    let low: bigint | null = null;
    for (const entry of this.pending.values()) {
      if (entry.partition === partition && (low === null || entry.firstOffset < low)) low = entry.firstOffset;
    }
    return low;
  }

  /** Remembers a ride decided before (read back from the decisions topic after a restart). */
  markDecided(rideId: string, decidedAt: number): void {
    this.decided.set(rideId, decidedAt);
  }

  /** When the first prediction of a ride still held here arrived (undefined once settled). */
  joinStartedAt(rideId: string): number | undefined {
    return this.pending.get(rideId)?.firstSeenAt;
  }

  /** Whether `rideId` was decided and is still remembered. */
  isDecided(rideId: string): boolean {
    return this.decided.has(rideId);
  }

  /** Forgets the joins of partitions this instance no longer owns (their new owner re-reads them). */
  dropPartitions(keep: ReadonlySet<number>): void {
    for (const [id, entry] of this.pending) if (!keep.has(entry.partition) && !entry.deciding) this.pending.delete(id);
  }

  /**
   * No join times out before `until`: the process was paused, and until its group says
   * which partitions are still its own, the rides held here may be another member's.
   */
  holdExpiry(until: number): void {
    this.heldUntil = Math.max(this.heldUntil, until);
  }

  /**
   * No join times out until {@link releaseExpiry} or {@link resumeExpiry}, however long: the
   * consumer crashed, and until its group says which partitions are still this member's,
   * the rides held here may be another member's to decide.
   */
  suspendExpiry(): void {
    this.suspended = true;
  }

  /** Ends a {@link suspendExpiry} (the client kept the member in its group); a {@link holdExpiry} stays. */
  resumeExpiry(): void {
    this.suspended = false;
  }

  /**
   * Ends a {@link holdExpiry} early, and a {@link suspendExpiry} (the group said which
   * partitions are this member's).
   */
  releaseExpiry(): void {
    this.heldUntil = 0;
    this.suspended = false;
  }

  /** Forgets decided rides older than the TTL. */
  prune(now: number): void {
    for (const [id, at] of this.decided) {
      if (now - at < this.options.decidedTtlMs) break;
      this.decided.delete(id);
    }
  }

  private close(rideId: string, entry: Pending, now: number): RideDecision {
    entry.deciding = true;
    this.decided.set(rideId, now);
    const v = entry.values;
    const estimates = {
      duration_min: v.duration?.value ?? null,
      cost_usd: v.cost?.value ?? null,
      tip_usd: v.tip?.value ?? null,
    };
    const versions: Record<string, string> = {};
    for (const m of MODELS) if (v[m]) versions[m] = v[m].version;
    return {
      ride_id: rideId,
      ...estimates,
      complete: MODELS.every((m) => v[m]),
      missing_models: MODELS.filter((m) => !v[m]),
      ...decide(estimates),
      model_versions: versions,
      event_time: entry.eventTime,
      decided_at: now,
      ...quotedRanges({
        duration: v.duration ? estimateRange(v.duration.lower, v.duration.upper) : null,
        cost: v.cost ? estimateRange(v.cost.lower, v.cost.upper) : null,
      }),
    };
  }
}
