import { noTracing, type Clock, type Logger, type OutgoingRecord, type ProducerClient, type Serde } from '@fleet/core';
import type { DecisionConfig } from './env.js';
import { JoinTable } from './join-table.js';
import { JoinTraces } from './join-traces.js';
import type { DecisionDeps } from './service.js';
import type { RideDecision } from './types.js';

/**
 * What the parts of one decision service share (its batches, its join timer, its read-back of
 * past decisions, its membership callbacks): the join and where the service is.
 */
export interface DecisionState {
  readonly config: DecisionConfig;
  readonly deps: DecisionDeps;
  readonly log: Logger;
  readonly clock: Clock;
  readonly table: JoinTable;
  readonly traces: JoinTraces;
  /** The record of a decision, its headers continuing the ride's trace. */
  readonly toRecord: (d: RideDecision) => OutgoingRecord;
  /** Partitions whose past decisions were read back since the last assignment. */
  readonly restored: Set<number>;
  /** Reads of past decisions begun at the process's first assignment (see `readBackAtAssignment`). */
  early: { at: number; reads: Map<number, Promise<boolean>> } | undefined;
  assignedBefore: boolean;
  producer: ProducerClient | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The event loop's last sign of life, to notice that the process was paused. */
  aliveAt: number;
}

/** The state of a new decision service: nothing joined, nothing read back, no producer yet. */
export function createDecisionState(
  config: DecisionConfig,
  deps: DecisionDeps,
  log: Logger,
  clock: Clock,
  decisionSerde: Serde<RideDecision>,
): DecisionState {
  const table = new JoinTable({ joinTimeoutMs: config.joinTimeoutMs, decidedTtlMs: config.decidedTtlMs });
  const traces = new JoinTraces(deps.tracing ?? noTracing, table);
  return {
    config,
    deps,
    log,
    clock,
    table,
    traces,
    toRecord: (d) => ({
      key: d.ride_id,
      value: decisionSerde.encode(d),
      headers: traces.decided(d, table.joinStartedAt(d.ride_id)),
    }),
    restored: new Set<number>(),
    early: undefined,
    assignedBefore: false,
    producer: undefined,
    timer: undefined,
    aliveAt: performance.now(),
  };
}

/** The broker acknowledged `decisions`: they are counted, observed and forgotten by the join. */
export function settle(s: DecisionState, decisions: RideDecision[]): void {
  const now = s.clock();
  for (const d of decisions) {
    const started = s.table.joinStartedAt(d.ride_id);
    if (started !== undefined)
      s.deps.metrics?.decisionJoin.observe({ complete: String(d.complete) }, (now - started) / 1000);
  }
  s.table.settle(decisions.map((d) => d.ride_id));
  s.traces.forget(decisions.map((d) => d.ride_id));
  for (const d of decisions) {
    s.deps.metrics?.decisions.inc({ complete: String(d.complete) });
    s.deps.metrics?.eventToOutput.observe((d.decided_at - d.event_time) / 1000);
    s.deps.onDecision?.(d);
  }
}
