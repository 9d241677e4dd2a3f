import type { ModelFigures, MonitorSummary } from '@fleet/backend';
import { MODEL_NAMES, type DriftStatus } from '@fleet/contract';
import { DRIFT_STATUS_VALUE, METRIC, parseSamples } from '@fleet/core';

/** Every model version's figures, by window label (`1m`, `15m`, …). */
export type FiguresByWindow = Map<string, ModelFigures[]>;

const STATUS_OF = new Map(Object.entries(DRIFT_STATUS_VALUE).map(([status, value]) => [value, status as DriftStatus]));

/** Seconds of a window label: `90s`, `1m`, `15m`, `1h`. */
export function windowSeconds(label: string): number {
  const m = /^(\d+)([smh])$/.exec(label);
  if (!m) return Number.NaN;
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
}

/** The monitor's figures in a `/metrics` text (the `fleet_monitor_*` gauges), by window. */
export function monitorFigures(text: string): FiguresByWindow {
  const rows = new Map<string, ModelFigures & { window: string }>();
  const key = (l: Record<string, string>) => `${l.window}|${l.model}|${l.version}`;
  for (const { labels, value } of parseSamples(text, METRIC.monitorPredictions)) {
    rows.set(key(labels), {
      window: labels.window,
      model: labels.model,
      version: labels.version,
      predictions: value,
      outcomes: 0,
      mae: null,
      bias: null,
      outcomeShare: null,
      drift: 'INSUFFICIENT_DATA',
      psi: {},
    });
  }
  const each = (name: string, set: (row: ModelFigures, value: number, labels: Record<string, string>) => void) => {
    for (const { labels, value } of parseSamples(text, name)) {
      const row = rows.get(key(labels));
      if (row) set(row, value, labels);
    }
  };
  each(METRIC.monitorOutcomes, (r, v) => (r.outcomes = v));
  each(METRIC.monitorMae, (r, v) => (r.mae = v));
  each(METRIC.monitorBias, (r, v) => (r.bias = v));
  each(METRIC.monitorOutcomeShare, (r, v) => (r.outcomeShare = v));
  each(METRIC.monitorDriftStatus, (r, v) => (r.drift = STATUS_OF.get(v) ?? 'INSUFFICIENT_DATA'));
  each(METRIC.monitorPsi, (r, v, labels) => (r.psi[labels.feature] = v));
  const out: FiguresByWindow = new Map();
  for (const { window, ...figures } of rows.values()) out.set(window, [...(out.get(window) ?? []), figures]);
  return new Map([...out].sort((a, b) => windowSeconds(a[0]) - windowSeconds(b[0])));
}

/** The figures of the monitor on `port`, or null when it does not answer. */
export async function readMonitor(port: number): Promise<FiguresByWindow | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? monitorFigures(await response.text()) : null;
  } catch {
    return null;
  }
}

/**
 * What a run's summary says of the monitor: accuracy over the longest window, drift over
 * the shortest; versions that predicted nothing in the window are left out.
 */
export function monitorSummary(byWindow: FiguresByWindow, outcomesPublished: number): MonitorSummary | undefined {
  const windows = [...byWindow.keys()];
  if (windows.length === 0) return undefined;
  const active = (w: string) => (byWindow.get(w) ?? []).filter((f) => f.predictions > 0);
  const [driftWindow, accuracyWindow] = [windows[0], windows[windows.length - 1]];
  return {
    outcomesPublished,
    accuracyWindow,
    driftWindow,
    accuracy: active(accuracyWindow),
    drift: active(driftWindow),
  };
}

/**
 * Waits until the monitor on `port` joined at least `outcomes` outcomes for every model in
 * its longest window, and returns its summary then; after `timeoutMs`, what it has (or
 * undefined when it never answered).
 */
export async function awaitMonitor(
  port: number,
  outcomes: number,
  timeoutMs: number,
  onWait?: (joined: number) => void,
): Promise<{ summary: MonitorSummary | undefined; complete: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const figures = await readMonitor(port);
    const summary = figures ? monitorSummary(figures, outcomes) : undefined;
    const joined = (model: string) =>
      Math.max(0, ...(summary?.accuracy ?? []).filter((f) => f.model === model).map((f) => f.outcomes));
    const least = Math.min(...MODEL_NAMES.map(joined));
    if (least >= outcomes) return { summary, complete: true };
    if (Date.now() > deadline) return { summary, complete: false };
    onWait?.(least);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
