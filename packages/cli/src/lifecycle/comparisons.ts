import { METRIC, parseSamples } from '@fleet/core';
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
  const rowOf = (labels: Record<string, string>): ComparisonRow => {
    const key = `${labels.live_version}|${labels.shadow_version}`;
    const row = rows.get(key) ?? {
      live_version: labels.live_version,
      shadow_version: labels.shadow_version,
      rides: 0,
      live_mae: Number.NaN,
      shadow_mae: Number.NaN,
    };
    rows.set(key, row);
    return row;
  };
  const ofModel = (name: string) => parseSamples(metrics, name).filter((s) => s.labels.model === model);
  for (const { labels, value } of ofModel(METRIC.monitorCompareRides)) rowOf(labels).rides = value;
  for (const { labels, value } of ofModel(METRIC.monitorCompareMae)) {
    if (labels.role === 'live') rowOf(labels).live_mae = value;
    else rowOf(labels).shadow_mae = value;
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
      change(r),
    ]),
  );
}

/** The shadow's MAE against the live one's in per cent; none where that is not a number (live MAE 0, no rides). */
function change(r: ComparisonRow): string {
  const ratio = (r.shadow_mae - r.live_mae) / r.live_mae;
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)} %` : '–';
}
