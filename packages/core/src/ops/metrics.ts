import type { DriftStatus } from '@fleet/contract';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';
import type { BatchReport } from '../pipeline/batch-handler.js';

/** Metric names, in one place so dashboards and alerts have one source. */
export const METRIC = {
  consumed: 'fleet_records_consumed_total',
  produced: 'fleet_records_produced_total',
  deadLettered: 'fleet_dlq_records_total',
  batchSize: 'fleet_batch_size_records',
  inference: 'fleet_inference_seconds',
  eventToOutput: 'fleet_event_to_output_seconds',
  hop: 'fleet_hop_seconds',
  decisions: 'fleet_decisions_total',
  decisionJoin: 'fleet_decision_join_seconds',
  lag: 'fleet_consumer_lag_records',
  batchRunning: 'fleet_batch_running_seconds',
  rebalances: 'fleet_rebalances_total',
  errors: 'fleet_errors_total',
  /** The monitor's figures, per model, version and sliding window (`window`: 1m, 15m, …). */
  monitorMae: 'fleet_monitor_mae',
  monitorBias: 'fleet_monitor_bias',
  monitorOutcomes: 'fleet_monitor_outcomes',
  monitorPredictions: 'fleet_monitor_predictions',
  monitorRides: 'fleet_monitor_rides',
  monitorOutcomeShare: 'fleet_monitor_outcome_share',
  monitorPsi: 'fleet_monitor_psi',
  monitorMissingShare: 'fleet_monitor_missing_share',
  monitorDriftStatus: 'fleet_monitor_drift_status',
  monitorPendingRides: 'fleet_monitor_pending_rides',
  monitorJoins: 'fleet_monitor_joins_total',
  monitorCompareRides: 'fleet_monitor_compare_rides',
  monitorLivePredictions: 'fleet_monitor_live_predictions_total',
  monitorCompareMae: 'fleet_monitor_compare_mae',
} as const;

/**
 * Values of `fleet_monitor_drift_status` by the `model_health` drift status: the worse, the
 * higher; negative when there is nothing to judge.
 */
export const DRIFT_STATUS_VALUE: Readonly<Record<DriftStatus, number>> = {
  NO_REFERENCE: -2,
  INSUFFICIENT_DATA: -1,
  OK: 0,
  WARNING: 1,
  ALERT: 2,
};

/** The metrics of one service process. */
export interface FleetMetrics {
  readonly registry: Registry;
  readonly consumed: Counter<'topic'>;
  readonly produced: Counter;
  readonly deadLettered: Counter<'code'>;
  readonly batchSize: FastHistogram;
  readonly inference: FastHistogram;
  /**
   * From the event time of an input (a ride's `event_time`) to the output made of it (its
   * prediction, its decision): the fleet's own latency up to this service.
   */
  readonly eventToOutput: FastHistogram;
  /**
   * Where the time of a record goes in this service, by hop: \`consume\` (produced upstream
   * → handled here: broker, fetch wait, queueing), \`process\` (decode and model or join),
   * \`produce\` (send until the broker acknowledged).
   */
  readonly hop: FastHistogram<'hop'>;
  readonly decisions: Counter<'complete'>;
  /** From the first prediction of a ride received to its decision (the join's own wait). */
  readonly decisionJoin: FastHistogram<'complete'>;
  /**
   * Per partition this instance owns: the high watermark of its last handled batch's fetch
   * minus the next offset it reads (not the committed offset `fleet lag` reads). Set by
   * each handled batch; see {@link FleetMetrics.retainLag}.
   */
  readonly lag: Gauge<'topic' | 'partition'>;
  /**
   * How long the oldest batch in hand has been handled, read at each scrape (0 when none):
   * a handler that hangs (a model call, a send never answered) shows here, where the lag
   * gauge, set by each handled batch, stands still.
   */
  readonly batchRunning: Gauge;
  readonly rebalances: Counter;
  readonly errors: Counter<'code'>;
  /** Records what one handled batch did. */
  observeBatch(report: BatchReport): void;
  /** A batch is handed to the handler; call what it returns when the handler is done. */
  batchStarted(): () => void;
  /**
   * Drops the lag of the partitions not in `assignment` (by topic): a join took them away,
   * or (`{}`) the consumer crashed or stopped. A partition another instance now reads must
   * not be counted twice in a sum over instances, nor keep a frozen figure.
   */
  retainLag(assignment: Readonly<Record<string, readonly number[]>>): void;
}

/** Creates the metrics of a service, labelled with `service`, plus Node's default metrics. */
export function createMetrics(service: string): FleetMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const seconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  // Finer where latency targets sit (10 and 25 ms), so quantiles read from buckets hold.
  const latency = [
    0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5,
    1, 2.5, 5,
  ];
  // Past the decision's join timeout (5 s by default), where degraded decisions land.
  const beyondJoinTimeout = [7.5, 10, 15, 30];
  // When each batch in hand was handed to the handler (performance.now()).
  const running = new Set<{ at: number }>();
  const m = {
    registry,
    consumed: new Counter({ name: METRIC.consumed, help: 'Records consumed', labelNames: ['topic'], registers }),
    produced: new Counter({
      name: METRIC.produced,
      help: 'Records produced to the output topic (DLQ records not included)',
      registers,
    }),
    deadLettered: new Counter({
      name: METRIC.deadLettered,
      help: 'Records sent to a dead-letter topic, by error code',
      labelNames: ['code'],
      registers,
    }),
    batchSize: new FastHistogram({
      name: METRIC.batchSize,
      help: 'Records per fetched batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    inference: new FastHistogram({
      name: METRIC.inference,
      help: 'Time of one model call for a batch',
      buckets: seconds,
      registers,
    }),
    eventToOutput: new FastHistogram({
      name: METRIC.eventToOutput,
      help: "From the input's event time to the output made of it (prediction, decision)",
      buckets: [...latency, ...beyondJoinTimeout],
      registers,
    }),
    hop: new FastHistogram({
      name: METRIC.hop,
      help: 'Time of a record per hop in this service: consume (produced upstream → handled), process, produce (until acknowledged)',
      labelNames: ['hop'],
      buckets: latency,
      registers,
    }),
    decisions: new Counter({
      name: METRIC.decisions,
      help: 'Decisions published',
      labelNames: ['complete'],
      registers,
    }),
    decisionJoin: new FastHistogram({
      name: METRIC.decisionJoin,
      help: 'From the first prediction of a ride received to its decision, by completeness',
      labelNames: ['complete'],
      buckets: [...seconds, ...beyondJoinTimeout],
      registers,
    }),
    lag: new Gauge({
      name: METRIC.lag,
      help: 'High watermark minus the next offset to read, per partition',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    batchRunning: new Gauge({
      name: METRIC.batchRunning,
      help: 'How long the oldest batch in hand has been handled (0 when none): a hung handler shows here',
      registers,
      collect(this: Gauge) {
        let oldest = Number.POSITIVE_INFINITY;
        for (const batch of running) oldest = Math.min(oldest, batch.at);
        this.set(running.size === 0 ? 0 : (performance.now() - oldest) / 1000);
      },
    }),
    rebalances: new Counter({ name: METRIC.rebalances, help: 'Consumer group joins (rebalances)', registers }),
    errors: new Counter({ name: METRIC.errors, help: 'Errors by code', labelNames: ['code'], registers }),
  };
  // The partitions whose lag is set, by `topic:partition`.
  const lagged = new Map<string, { topic: string; partition: string }>();
  return {
    ...m,
    batchStarted() {
      const batch = { at: performance.now() };
      running.add(batch);
      return () => running.delete(batch);
    },
    retainLag(assignment) {
      for (const [key, labels] of lagged) {
        if (assignment[labels.topic]?.includes(Number(labels.partition))) continue;
        m.lag.remove(labels);
        lagged.delete(key);
      }
    },
    observeBatch(report) {
      m.consumed.inc({ topic: report.topic }, report.records);
      m.batchSize.observe(report.records);
      for (const { code } of report.deadLettered) m.deadLettered.inc({ code });
      for (const { code } of report.skipped) m.errors.inc({ code });
      m.inference.observe(report.processMs / 1000);
      m.hop.observe({ hop: 'process' }, (report.decodeMs + report.processMs) / 1000);
      m.hop.observe({ hop: 'produce' }, report.produceMs / 1000);
      for (const waited of report.consumeMs) m.hop.observe({ hop: 'consume' }, waited / 1000);
      const lag = Number(BigInt(report.highWatermark) - BigInt(report.lastOffset) - 1n);
      m.produced.inc(report.produced);
      const labels = { topic: report.topic, partition: String(report.partition) };
      m.lag.set(labels, Math.max(0, lag));
      lagged.set(`${labels.topic}:${labels.partition}`, labels);
    },
  };
}
