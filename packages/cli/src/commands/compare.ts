import { FleetError } from '@fleet/contract';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { comparisonsOf, formatComparisons } from '../lifecycle/comparisons.js';
import { modelArgs } from '../lifecycle/model-args.js';
import { listInstances } from '../procs/instances.js';

const usage = `Usage: npx fleet compare <model> [--monitor URL] [--json]

Compares each shadow version of <model> with the live version on the same rides: those
the monitor has joined with their outcome (ride_completed) and a prediction of both, since
the monitor started. Prints the rides, both MAEs and the change; a shadow with a lower MAE
on enough rides is a candidate for: npx fleet promote <model> <version>

  --monitor URL  the monitor's operations address (default: the one fleet up started)
  --json         print JSON
  -h, --help     this help`;

async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { monitor: { type: 'string' }, json: { type: 'boolean', default: false } },
    true,
  );
  const { model } = modelArgs(positionals, false);
  const monitor = listInstances('monitor')[0];
  const base = values.monitor ?? (monitor ? `http://127.0.0.1:${monitor.port}` : undefined);
  if (!base) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      'no monitor runs (npx fleet up starts one); or name it with --monitor URL',
    );
  }
  let text: string;
  try {
    text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  } catch (cause) {
    throw new FleetError('FLEET_INPUT_INVALID', `the monitor at ${base} does not answer`, { cause });
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
  console.log(formatComparisons(rows));
  return 0;
}

/** `fleet compare`. */
export const compareCommand: Command = {
  name: 'compare',
  summary: 'live vs shadow MAE of a model on the same rides',
  usage,
  run,
};
