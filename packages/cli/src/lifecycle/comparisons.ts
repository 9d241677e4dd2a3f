import { METRIC } from '@fleet/core';
import { table } from '../ops-context.js';

/** One shadow version against the live one, as the monitor's /metrics gives it. */
export interface ComparisonRow {
  live_version: string;
  shadow_version: string;
  rides: number;
  live_mae: number;
  shadow_mae: number;
}

/** Reads the comparisons of `model` from the monitor's Prometheus text. */
export function comparisonsOf(metrics: string, model: string): ComparisonRow[] {
  const rows = new Map<string, ComparisonRow>();
  const line = /^(\w+)\{([^}]*)\}\s+(\S+)$/;
  for (const text of metrics.split('\n')) {
    const m = line.exec(text);
    if (!m || (m[1] !== METRIC.monitorCompareRides && m[1] !== METRIC.monitorCompareMae)) continue;
    const labels = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (labels.model !== model) continue;
    const key = `${labels.live_version}|${labels.shadow_version}`;
    const row = rows.get(key) ?? {
      live_version: labels.live_version,
      shadow_version: labels.shadow_version,
      rides: 0,
      live_mae: Number.NaN,
      shadow_mae: Number.NaN,
    };
    const value = Number(m[3]);
    if (m[1] === METRIC.monitorCompareRides) row.rides = value;
    else if (labels.role === 'live') row.live_mae = value;
    else row.shadow_mae = value;
    rows.set(key, row);
  }
  return [...rows.values()];
}

/** The comparisons as a table: versions, rides, both MAEs and the shadow's change. */
export function formatComparisons(rows: readonly ComparisonRow[]): string {
  return table(
    ['live', 'shadow', 'rides', 'live MAE', 'shadow MAE', 'change'],
    rows.map((r) => [
      r.live_version,
      r.shadow_version,
      r.rides,
      r.live_mae.toFixed(3),
      r.shadow_mae.toFixed(3),
      `${(((r.shadow_mae - r.live_mae) / r.live_mae) * 100).toFixed(1)} %`,
    ]),
  );
}
