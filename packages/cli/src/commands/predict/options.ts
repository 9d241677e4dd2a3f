import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FleetError, isModelName, type ModelName } from '@fleet/contract';
import { modelsDir } from '../../lifecycle/model-args.js';

/** The `--help` text of `fleet predict`, also printed after an invalid argument. */
export const usage = `Usage: npx fleet predict --input rides.csv --output predictions.csv [options]

Scores a file of rides offline with the duration, cost and tip models. The input is in
the format of models/data/nyc_taxi_rides_2019-03.csv (extra columns are ignored, quoted
fields are handled); the output has every input row, in order, with three columns added:
duration_min, cost_usd and tip_usd, then <column>_low and <column>_high for each model
version with a prediction interval (10th–90th percentile). Times are YYYY-MM-DD HH:MM:SS,
New York local time, as in the dataset. Rows the streaming and online modes would refuse
(bad values, a pickup before 2009 or more than a day ahead, a row whose field count is not
the header's) are kept with empty predictions and reported on stderr as "row N (line L)":
the Nth data row, starting on line L of the file. When the input has dropoff, tip and
total, the MAE of the predictions against them (and the share of rides within each
interval) is printed at the end. Progress is printed every 10,000 rows; Ctrl-C stops
without leaving a partial output.

Options:
  --input FILE        rides CSV to score (required)
  --output FILE       predictions CSV to write (required; overwritten)
  --models-dir DIR    directory of the model versions, manifest.json and features.json
                      (each model at the version the manifest names current)
                      (default: MODELS_DIR, else the repository's models/)
  --versions M@V,...  model versions other than the current ones, e.g. duration@2.0.0,cost@2.0.0
  --batch-size N      rides per model call (default 1000)
  -h, --help          print this help

Exit codes: 0 done (bad rows included), 1 failed, 2 invalid arguments.`;

/** What `fleet predict` was asked to do, from its arguments. */
export interface Options {
  input: string;
  output: string;
  modelsDir: string | undefined;
  batchSize: number;
  /** Versions other than the manifest's current ones, by model. */
  versions: Partial<Record<ModelName, string>>;
}

/**
 * Parses the arguments of `fleet predict`, or `help` when help is asked for.
 * @throws FleetError FLEET_INPUT_INVALID naming the bad option.
 */
export function parseOptions(argv: readonly string[]): Options | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      input: { type: 'string' },
      output: { type: 'string' },
      'models-dir': { type: 'string' },
      'batch-size': { type: 'string' },
      versions: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  if (values.input === undefined || values.output === undefined) {
    throw new FleetError('FLEET_INPUT_INVALID', 'both --input and --output are required');
  }
  if (sameFile(values.input, values.output)) {
    throw new FleetError('FLEET_INPUT_INVALID', `--output ${values.output} is the input file; name another file`);
  }
  const batchSize = Number(values['batch-size'] ?? 1000);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `--batch-size must be a positive integer, got "${values['batch-size']}"`,
    );
  }
  return {
    input: values.input,
    output: values.output,
    modelsDir: values['models-dir'] ?? modelsDir(),
    batchSize,
    versions: parseVersions(values.versions),
  };
}

/** `duration@2.0.0,cost@2.0.0` → { duration: '2.0.0', cost: '2.0.0' }. */
function parseVersions(raw: string | undefined): Partial<Record<ModelName, string>> {
  const out: Partial<Record<ModelName, string>> = {};
  for (const item of raw ? raw.split(',') : []) {
    const [model, version] = item.split('@');
    if (!isModelName(model) || !version) {
      throw new FleetError(
        'FLEET_INPUT_INVALID',
        `--versions: "${item}" is not <model>@<version> (duration, cost, tip)`,
      );
    }
    out[model] = version;
  }
  return out;
}

/** Whether two paths name one file (through a link too); a path that does not exist is itself. */
function sameFile(a: string, b: string): boolean {
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return resolve(path);
    }
  };
  return real(a) === real(b);
}
