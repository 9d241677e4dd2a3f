import { FleetError } from '@fleet/contract';
import { METRIC } from '@fleet/core';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { modelArgs } from '../lifecycle/model-args.js';
import { table } from '../ops-context.js';
import { listInstances } from '../procs/instances.js';

const usage = `Usage: npx fleet compare <model> [--monitor URL] [--json]

Compares each shadow version of <model> with the live version on the same rides: those
the monitor has joined with their outcome (ride_completed) and a prediction of both, since
the monitor started. Prints the rides, both MAEs and the change; a shadow with a lower MAE
on enough rides is a candidate for: npx fleet promote <model> <version>

  --monitor URL  the monitor's operations address (default: the one fleet up started)
  --json         print JSON
  -h, --help     this help`;

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

async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { monitor: { type: 'string' }, json: { type: 'boolean', default: false } },
    true,
  );
  const { model } = modelArgs('compare', positionals, false);
  const monitor = listInstances('monitor')[0];
  const base = values.monitor ?? (monitor ? `http://127.0.0.1:${monitor.port}` : undefined);
  if (!base) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      'fleet compare: no monitor runs (npx fleet up starts one); or name it with --monitor URL',
    );
  }
  let text: string;
  try {
    text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  } catch (cause) {
    throw new FleetError('FLEET_INPUT_INVALID', `fleet compare: the monitor at ${base} does not answer`, { cause });
  }
  const rows = comparisonsOf(text, model);
  if (values.json) {
    console.log(JSON.stringify({ model, comparisons: rows }, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    console.log(
      `${model}: no ride has an outcome and both a live and a shadow prediction yet ` +
        `(start one with npx fleet shadow ${model} <version>; outcomes come from the backend)`,
    );
    return 0;
  }
  console.log(
    table(
      ['live', 'shadow', 'rides', 'live MAE', 'shadow MAE', 'change'],
      rows.map((r) => [
        r.live_version,
        r.shadow_version,
        r.rides,
        r.live_mae.toFixed(3),
        r.shadow_mae.toFixed(3),
        `${(((r.shadow_mae - r.live_mae) / r.live_mae) * 100).toFixed(1)} %`,
      ]),
    ),
  );
  return 0;
}

/** `fleet compare`. */
export const compareCommand: Command = {
  name: 'compare',
  summary: 'live vs shadow MAE of a model on the same rides',
  usage,
  run,
};
