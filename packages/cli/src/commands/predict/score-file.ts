import type { FileHandle } from 'node:fs/promises';
import {
  FleetError,
  readCsvRecords,
  rideCsvParser,
  type CsvRecord,
  type RideOutcome,
  type RideStarted,
} from '@fleet/contract';
import type { RideModel } from '@fleet/scoring';
import type { Options } from './options.js';

/** How many bad rows are listed on stderr; further ones are only counted. */
const MAX_LISTED_BAD_ROWS = 100;
const PROGRESS_EVERY_ROWS = 10_000;
const OUTPUT_COLUMNS = ['duration_min', 'cost_usd', 'tip_usd'] as const;

interface Pending {
  /** `row N (line L)`, for messages. */
  where: string;
  /** The row as in the input, with empty cells added where it has fewer fields than the header. */
  raw: string;
  ride: RideStarted | null;
  outcome: RideOutcome | null;
}

/** What scoring a file counted, for the summary. */
export interface Stats {
  rows: number;
  scored: number;
  bad: number;
  withOutcome: number;
  absErrors: number[];
  /** Per model, rides whose actual value lies within the interval (models with one). */
  covered: number[];
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

/**
 * Writes the header row of `input` with the added columns; resolves to the parser of its rows.
 * @throws FleetError FLEET_INPUT_INVALID when the header already has added columns.
 */
async function writeHeader(
  input: string,
  header: CsvRecord,
  runners: readonly RideModel[],
  out: FileHandle,
): Promise<ReturnType<typeof rideCsvParser>> {
  const again = addedColumnsIn(header.fields, runners);
  if (again.length > 0) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `${input} already has the column(s) ${again.join(', ')} (an output of fleet predict?): ` +
        'score the rides file itself, or remove those columns first',
    );
  }
  const parse = rideCsvParser(header.fields);
  await out.write(`${header.raw},${outputColumns(runners).join(',')}\n`);
  return parse;
}

/**
 * Scores the rides of `opts.input` in batches of `opts.batchSize` with `runners`, writing
 * the header and every row with its added columns to `out`; bad rows are reported on stderr.
 * @throws FleetError FLEET_INPUT_INVALID when the file is empty or already has added columns.
 */
export async function scoreFile(
  opts: Options,
  runners: RideModel[],
  out: FileHandle,
  signal: AbortSignal,
): Promise<Stats> {
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
      parse = await writeHeader(opts.input, record, runners, out);
      columns = record.fields.length;
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
