import { realpathSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  FleetError,
  isModelName,
  isFleetError,
  MODEL_NAMES,
  modelVersionDir,
  type ModelName,
  readCsvRecords,
  rideCsvParser,
  type RideOutcome,
  type RideStarted,
} from '@fleet/contract';
import { loadRideModel, type RideModel } from '@fleet/scoring';
import type { Command } from '../command.js';
import { modelsDir } from '../lifecycle/model-args.js';

const usage = `Usage: npx fleet predict --input rides.csv --output predictions.csv [options]

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

/** How many bad rows are listed on stderr; further ones are only counted. */
const MAX_LISTED_BAD_ROWS = 100;
const PROGRESS_EVERY_ROWS = 10_000;
const OUTPUT_COLUMNS = ['duration_min', 'cost_usd', 'tip_usd'] as const;

interface Options {
  input: string;
  output: string;
  modelsDir: string | undefined;
  batchSize: number;
  /** Versions other than the manifest's current ones, by model. */
  versions: Partial<Record<ModelName, string>>;
}

interface Pending {
  /** `row N (line L)`, for messages. */
  where: string;
  /** The row as in the input, with empty cells added where it has fewer fields than the header. */
  raw: string;
  ride: RideStarted | null;
  outcome: RideOutcome | null;
}

interface Stats {
  rows: number;
  scored: number;
  bad: number;
  withOutcome: number;
  absErrors: number[];
  /** Per model, rides whose actual value lies within the interval (models with one). */
  covered: number[];
}

function parseOptions(argv: readonly string[]): Options | 'help' {
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

function reportBad(stats: Stats, where: string, reason: string): void {
  stats.bad++;
  if (stats.bad <= MAX_LISTED_BAD_ROWS) process.stderr.write(`predict: ${where}: ${reason}\n`);
  if (stats.bad === MAX_LISTED_BAD_ROWS + 1)
    process.stderr.write('predict: further bad rows are counted, not listed\n');
}

function format(values: readonly number[]): string {
  return values.map((v) => v.toFixed(2)).join(',');
}

/** The columns added to each row: the three estimates, then the bounds of each interval. */
function outputColumns(runners: readonly RideModel[]): string[] {
  const bounds = runners.flatMap((r, i) =>
    r.card.onnx.interval ? [`${OUTPUT_COLUMNS[i]}_low`, `${OUTPUT_COLUMNS[i]}_high`] : [],
  );
  return [...OUTPUT_COLUMNS, ...bounds];
}

async function scoreBatch(batch: Pending[], runners: RideModel[], stats: Stats): Promise<string> {
  const rides = batch.flatMap((p) => (p.ride === null ? [] : [p.ride]));
  const outputs = await Promise.all(runners.map((r) => r.predictRides(rides)));
  const empty = ','.repeat(outputColumns(runners).length - 1);
  let k = 0;
  let text = '';
  for (const p of batch) {
    let cells = empty;
    if (p.ride !== null) {
      const values = outputs.map((o) => o.value[k]);
      const ranges = outputs.map((o) => (o.lower && o.upper ? [o.lower[k], o.upper[k]] : null));
      k++;
      const broken = values.findIndex((v) => !Number.isFinite(v));
      if (broken === -1) {
        cells = format([...values, ...ranges.flatMap((r) => r ?? [])]);
        stats.scored++;
        if (p.outcome !== null) addErrors(stats, values, ranges, p.outcome);
      } else reportBad(stats, p.where, `model ${runners[broken].name} returned ${values[broken]}`);
    }
    text += `${p.raw},${cells}\n`;
  }
  return text;
}

function addErrors(stats: Stats, values: number[], ranges: Array<number[] | null>, outcome: RideOutcome): void {
  const actual = [outcome.duration_min, outcome.cost_usd, outcome.tip_usd];
  stats.withOutcome++;
  values.forEach((v, i) => (stats.absErrors[i] += Math.abs(v - actual[i])));
  ranges.forEach((r, i) => {
    if (r && r[0] <= actual[i] && actual[i] <= r[1]) stats.covered[i]++;
  });
}

/** The header's columns that `fleet predict` would add again (an output scored a second time). */
function addedColumnsIn(header: readonly string[], runners: readonly RideModel[]): string[] {
  const added = new Set(outputColumns(runners));
  return header.filter((name) => added.has(name.trim().toLowerCase()));
}

async function scoreFile(opts: Options, runners: RideModel[], out: FileHandle, signal: AbortSignal): Promise<Stats> {
  const stats: Stats = { rows: 0, scored: 0, bad: 0, withOutcome: 0, absErrors: [0, 0, 0], covered: [0, 0, 0] };
  let parse: ReturnType<typeof rideCsvParser> | undefined;
  let columns = 0;
  let batch: Pending[] = [];
  const flush = async () => {
    await out.write(await scoreBatch(batch, runners, stats));
    batch = [];
  };
  for await (const record of readCsvRecords(opts.input)) {
    signal.throwIfAborted();
    if (parse === undefined) {
      const again = addedColumnsIn(record.fields, runners);
      if (again.length > 0) {
        throw new FleetError(
          'FLEET_INPUT_INVALID',
          `${opts.input} already has the column(s) ${again.join(', ')} (an output of fleet predict?): ` +
            'score the rides file itself, or remove those columns first',
        );
      }
      parse = rideCsvParser(record.fields);
      columns = record.fields.length;
      await out.write(`${record.raw},${outputColumns(runners).join(',')}\n`);
      continue;
    }
    stats.rows++;
    const where = `row ${record.row} (line ${record.line})`;
    const result = parse(record.fields, record.row);
    if (!result.ok) reportBad(stats, where, result.reason);
    // A row short of fields gets empty ones, so that the added columns stay under their names.
    const missing = Math.max(0, columns - record.fields.length);
    batch.push({
      where,
      raw: record.raw + ','.repeat(missing),
      ride: result.ok ? result.ride : null,
      outcome: result.ok ? result.outcome : null,
    });
    // Bad rows count too: a file of bad rows must not be held whole in memory.
    if (batch.length >= opts.batchSize) await flush();
    if (stats.rows % PROGRESS_EVERY_ROWS === 0) {
      process.stderr.write(`predict: ${stats.rows} rows read (${stats.scored} scored, ${stats.bad} bad)\n`);
    }
  }
  if (parse === undefined) throw new FleetError('FLEET_INPUT_INVALID', `${opts.input} is empty`);
  await flush();
  return stats;
}

function summarize(opts: Options, runners: readonly RideModel[], stats: Stats, startedMs: number): void {
  const seconds = ((Date.now() - startedMs) / 1000).toFixed(1);
  process.stderr.write(
    `predict: ${stats.rows} rows, ${stats.scored} scored, ${stats.bad} bad → ${opts.output} (${seconds} s)\n`,
  );
  if (stats.withOutcome > 0) {
    const [d, c, t] = stats.absErrors.map((e) => (e / stats.withOutcome).toFixed(3));
    process.stderr.write(
      `predict: MAE against the file's actual outcomes (${stats.withOutcome} rides): ` +
        `duration ${d} min, cost ${c} USD, tip ${t} USD` +
        ` (versions ${runners.map((r) => `${r.name} ${r.version}`).join(', ')})\n`,
    );
    const coverage = runners.flatMap((r, i) => {
      const interval = r.card.onnx.interval;
      if (!interval) return [];
      const nominal = Math.round((interval.upper.quantile - interval.lower.quantile) * 100);
      return [`${r.name} ${((stats.covered[i] / stats.withOutcome) * 100).toFixed(1)} % (nominal ${nominal} %)`];
    });
    if (coverage.length > 0) {
      process.stderr.write(`predict: rides within the prediction interval: ${coverage.join(', ')}\n`);
    }
  }
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

async function predict(opts: Options, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  const runners: RideModel[] = [];
  let out: FileHandle | undefined;
  const partial = `${opts.output}.partial`;
  try {
    for (const name of MODEL_NAMES) {
      runners.push(await loadRideModel(modelVersionDir(name, opts.versions[name], opts.modelsDir)));
    }
    // Written beside the output and renamed once complete: a failed run leaves no half file.
    out = await open(partial, 'w');
    const stats = await scoreFile(opts, runners, out, signal);
    await out.close();
    out = undefined;
    await rename(partial, opts.output);
    summarize(opts, runners, stats, started);
  } finally {
    await out?.close();
    await rm(partial, { force: true });
    await Promise.all(runners.map((r) => r.close()));
  }
}

/** `fleet predict`: scores a rides CSV with the three models into a predictions CSV. */
export const predictCommand: Command = {
  name: 'predict',
  summary: 'Score a rides CSV with the duration, cost and tip models (offline)',
  usage,
  async run(argv) {
    let opts: Options | 'help';
    try {
      opts = parseOptions(argv);
    } catch (err) {
      process.stderr.write(`fleet predict: ${(err as Error).message}\n\n${usage}\n`);
      return 2;
    }
    if (opts === 'help') {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    // Ctrl-C or SIGTERM stops the reading; the partial output is removed on the way out
    // (a second Ctrl-C too: it must not end the process with the partial output left).
    const interrupted = new AbortController();
    const interrupt = () => interrupted.abort();
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    try {
      await predict(opts, interrupted.signal);
      return 0;
    } catch (err) {
      if (interrupted.signal.aborted) {
        process.stderr.write(`fleet predict: interrupted; ${opts.output} was not written\n`);
        return 130;
      }
      const code = isFleetError(err) ? ` [${err.code}]` : '';
      process.stderr.write(`fleet predict: ${(err as Error).message}${code}\n`);
      return 1;
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  },
};
