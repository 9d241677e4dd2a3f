import { traceHeaders, type Tracing } from '@fleet/core';
import type { RideDecision } from './types.js';

/**
 * The trace contexts of the predictions of the rides still joining, so a decision continues
 * the ride's trace: its `join` span is a child of the first prediction received, linked to
 * the others (each model's prediction is its own branch of the ride's trace), from when that
 * first prediction arrived until the decision. Held only for predictions that carry a
 * `traceparent`, and only while their ride joins.
 */
export class JoinTraces {
  private readonly byRide = new Map<string, Array<Record<string, string>>>();

  constructor(
    private readonly tracing: Tracing,
    private readonly joining: { joinStartedAt(rideId: string): number | undefined },
  ) {}

  /** A prediction of `rideId` counted in its join, read with `headers`. */
  offered(rideId: string, headers: Readonly<Record<string, string>>): void {
    if (headers.traceparent === undefined) return;
    const list = this.byRide.get(rideId);
    if (list) list.push(traceHeaders(headers));
    else this.byRide.set(rideId, [traceHeaders(headers)]);
  }

  /** The headers of the decision of a ride whose join started at `startedAtMs` (epoch ms). */
  decided(decision: RideDecision, startedAtMs: number | undefined): Record<string, string> {
    const [first, ...others] = this.byRide.get(decision.ride_id) ?? [];
    if (first === undefined) return {};
    const span = this.tracing.span('join', {
      parent: first,
      links: others,
      startTimeMs: startedAtMs,
      attributes: { 'fleet.complete': decision.complete, 'fleet.missing_models': decision.missing_models.join(',') },
    });
    span.end();
    return span.headers;
  }

  /** The decisions of `rideIds` are acknowledged: their traces are done here. */
  forget(rideIds: Iterable<string>): void {
    for (const id of rideIds) this.byRide.delete(id);
  }

  /** Drops the traces of rides no longer joining here (their partition moved to another instance). */
  prune(): void {
    for (const id of this.byRide.keys()) if (this.joining.joinStartedAt(id) === undefined) this.byRide.delete(id);
  }
}
