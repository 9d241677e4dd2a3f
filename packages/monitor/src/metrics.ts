import type { ModelHealthRecord } from '@fleet/contract';
import { DRIFT_STATUS_VALUE, METRIC } from '@fleet/core';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Comparison, JoinResult } from './monitor-state.js';

/** A window's label on /metrics: `1m`, `15m`, `1h`, or seconds (`90s`). */
export function windowLabel(windowSec: number): string {
  if (windowSec % 3600 === 0) return `${windowSec / 3600}h`;
  return windowSec % 60 === 0 ? `${windowSec / 60}m` : `${windowSec}s`;
}

/** What the gauges are read from at each scrape. */
export interface MonitorFigures {
  health(): ModelHealthRecord[];
  comparisons(): Comparison[];
  /** Live (not shadow) predictions per `model@version` since the monitor started. */
  readonly livePredictions: ReadonlyMap<string, number>;
  readonly pendingRides: number;
  readonly results: Readonly<Record<JoinResult, number>>;
}

/**
 * Registers the monitor's figures on `registry` (the process's `/metrics`), computed from
 * `figures` when scraped: per model, version and window the MAE, bias, joined outcomes,
 * predictions, outcome share and drift status; per feature the PSI and the missing share.
 */
export function registerMonitorMetrics(registry: Registry, figures: MonitorFigures): void {
  const registers = [registry];
  const labelNames = ['model', 'version', 'window'] as const;
  // Every gauge's collect asks for the figures; the first one of a scrape computes them.
  const collect = () => refresh();
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames, registers, collect });
  const byFeature = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: [...labelNames, 'feature'], registers, collect });
  const g = {
    mae: gauge(METRIC.monitorMae, 'Mean absolute error of the predictions joined with outcomes in the window'),
    bias: gauge(METRIC.monitorBias, 'Mean signed error (prediction - actual) in the window'),
    outcomes: gauge(METRIC.monitorOutcomes, 'Predictions joined with their ride outcome in the window'),
    predictions: gauge(METRIC.monitorPredictions, 'Rides predicted in the window'),
    rides: new Gauge({
      name: METRIC.monitorRides,
      help: 'Rides started in the window',
      labelNames: ['window'],
      registers,
      collect,
    }),
    share: gauge(METRIC.monitorOutcomeShare, 'Share of the rides predicted in the window that got an outcome so far'),
    status: gauge(
      METRIC.monitorDriftStatus,
      'Worst drift in the window: 2 alert, 1 warning, 0 ok, -1 too few rows, -2 no reference in the model card',
    ),
    psi: byFeature(METRIC.monitorPsi, 'Population stability index against the model card reference, per feature'),
    missing: byFeature(METRIC.monitorMissingShare, 'Share of missing (null) values of an input in the window'),
  };
  let computedAt = 0;
  function refresh(): void {
    if (Date.now() - computedAt < 100) return;
    computedAt = Date.now();
    for (const gauge of Object.values(g)) gauge.reset();
    for (const h of figures.health()) {
      const labels = { model: h.model, version: h.model_version, window: windowLabel(h.window_sec) };
      g.rides.set({ window: labels.window }, h.rides);
      g.outcomes.set(labels, h.outcomes);
      g.predictions.set(labels, h.predictions);
      g.status.set(labels, DRIFT_STATUS_VALUE[h.drift_status]);
      if (h.mae !== null) g.mae.set(labels, h.mae);
      if (h.bias !== null) g.bias.set(labels, h.bias);
      if (h.outcome_share !== null) g.share.set(labels, h.outcome_share);
      for (const [feature, value] of Object.entries(h.psi)) g.psi.set({ ...labels, feature }, value);
      for (const [feature, value] of Object.entries(h.missing_share)) g.missing.set({ ...labels, feature }, value);
    }
  }
  new Gauge({
    name: METRIC.monitorPendingRides,
    help: 'Rides held while they wait for their outcome',
    registers,
    collect() {
      this.set(figures.pendingRides);
    },
  });
  const pairLabels = ['model', 'live_version', 'shadow_version'] as const;
  new Gauge({
    name: METRIC.monitorCompareRides,
    help: 'Rides with an outcome and a prediction of both the live and the shadow version (fleet compare)',
    labelNames: pairLabels,
    registers,
    collect() {
      this.reset();
      for (const c of figures.comparisons()) this.set(pairOf(c), c.rides);
    },
  });
  new Gauge({
    name: METRIC.monitorCompareMae,
    help: 'MAE of the live and of the shadow version on the same rides, by role (live | shadow)',
    labelNames: [...pairLabels, 'role'],
    registers,
    collect() {
      this.reset();
      for (const c of figures.comparisons()) {
        this.set({ ...pairOf(c), role: 'live' }, c.live_mae);
        this.set({ ...pairOf(c), role: 'shadow' }, c.shadow_mae);
      }
    },
  });
  const liveCounted = new Map<string, number>();
  new Counter({
    name: METRIC.monitorLivePredictions,
    help: 'Live (not shadow) predictions per model version: which version serves, through a promote or a rollback',
    labelNames: ['model', 'version'],
    registers,
    collect() {
      for (const [key, total] of figures.livePredictions) {
        const [model, version] = key.split('@');
        this.inc({ model, version }, total - (liveCounted.get(key) ?? 0));
        liveCounted.set(key, total);
      }
    },
  });
  let counted: Partial<Record<JoinResult, number>> = {};
  new Counter({
    name: METRIC.monitorJoins,
    help: 'Records of the join by result: joined, duplicate, unknown_model, too_many_versions, dropped_full, expired_unjoined, stale',
    labelNames: ['result'],
    registers,
    collect() {
      for (const [result, total] of Object.entries(figures.results) as Array<[JoinResult, number]>) {
        this.inc({ result }, total - (counted[result] ?? 0));
      }
      counted = { ...figures.results };
    },
  });
}

function pairOf(c: Comparison) {
  return { model: c.model, live_version: c.live_version, shadow_version: c.shadow_version };
}
