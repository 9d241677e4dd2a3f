/**
 * Counters over sliding time windows: a ring of time buckets, each holding `width`
 * counters. A count goes to the bucket of its own time (event time), so a window sums what
 * happened in it, whenever it was read; windows slide by one bucket.
 */
export class SlidingCounters {
  private readonly slots: number;
  /** Bucket number held by each slot (time / bucketMs), -1 when empty. */
  private readonly stamps: Float64Array;
  private readonly values: Float64Array;

  /**
   * @param width counters per bucket
   * @param bucketMs length of a bucket: the step a window slides by
   * @param spanMs the longest window that will be summed
   */
  constructor(
    readonly width: number,
    private readonly bucketMs: number,
    spanMs: number,
  ) {
    this.slots = Math.ceil(spanMs / bucketMs) + 1;
    this.stamps = new Float64Array(this.slots).fill(-1);
    this.values = new Float64Array(this.slots * width);
  }

  /**
   * Adds `amount` to counter `index` at `timeMs`. A time older than the longest window is
   * dropped (false); one ahead of `nowMs` (clock skew) counts now.
   */
  add(timeMs: number, nowMs: number, index: number, amount = 1): boolean {
    const current = Math.floor(nowMs / this.bucketMs);
    const bucket = Math.min(Math.floor(timeMs / this.bucketMs), current);
    if (!(bucket > current - this.slots)) return false;
    const slot = bucket % this.slots;
    if (this.stamps[slot] !== bucket) {
      this.stamps[slot] = bucket;
      this.values.fill(0, slot * this.width, (slot + 1) * this.width);
    }
    this.values[slot * this.width + index] += amount;
    return true;
  }

  /** Every counter summed over the buckets of the last `windowMs` up to `nowMs`. */
  sum(windowMs: number, nowMs: number): Float64Array {
    const out = new Float64Array(this.width);
    const current = Math.floor(nowMs / this.bucketMs);
    const oldest = current - Math.max(1, Math.round(windowMs / this.bucketMs)) + 1;
    for (let slot = 0; slot < this.slots; slot++) {
      const stamp = this.stamps[slot];
      if (stamp < oldest || stamp > current) continue;
      for (let i = 0; i < this.width; i++) out[i] += this.values[slot * this.width + i];
    }
    return out;
  }
}
