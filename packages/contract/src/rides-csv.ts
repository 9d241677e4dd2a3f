import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { FleetError } from './errors.js';
import { zonedTimeToEpochMs } from './features/clock.js';
import type { PaymentMethod, RideOutcome, RideStarted, ServiceColor } from './records.js';
import { RIDE_LIMITS, rideFieldProblem } from './validate.js';

/** The wall clock of the dataset's naive timestamps. */
export const RIDES_CSV_TIMEZONE = 'America/New_York';

/** Columns a rides CSV must have (`models/data/nyc_taxi_rides_2019-03.csv`); others are ignored. */
export const RIDE_CSV_COLUMNS = [
  'pickup',
  'passengers',
  'distance',
  'color',
  'payment',
  'pickup_zone',
  'dropoff_zone',
  'pickup_borough',
  'dropoff_borough',
] as const;

/** Columns of the actual outcomes, optional: `dropoff`, `tip`, `total`. */
export const OUTCOME_CSV_COLUMNS = ['dropoff', 'tip', 'total'] as const;

/** One parsed data row: a ride (and its outcome when the CSV has one) or why it is bad. */
export type RideCsvRow = { ok: true; ride: RideStarted; outcome: RideOutcome | null } | { ok: false; reason: string };

/** A record as read from a file: its 1-based data row, its raw text and its fields. */
export interface CsvRecord {
  /** 1-based data row number (the header is row 0). */
  row: number;
  /** The file line it starts on (1-based; a quoted field may span lines). */
  line: number;
  /** The record's text as in the file, without the line break (quotes kept). */
  raw: string;
  fields: string[];
}

const COLORS: Readonly<Record<string, ServiceColor>> = { yellow: 'YELLOW', green: 'GREEN' };
const PAYMENTS: Readonly<Record<string, PaymentMethod>> = {
  'credit card': 'CREDIT_CARD',
  cash: 'CASH',
  '': 'UNKNOWN',
};
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
/** How a rides CSV's times are written, for messages. */
const TIMESTAMP_FORMAT = 'YYYY-MM-DD HH:MM:SS, New York local time';

/**
 * Epoch ms of a naive `YYYY-MM-DD HH:MM:SS` New York wall-clock time (as the training
 * pipeline reads it, see {@link zonedTimeToEpochMs}); undefined when it is not one.
 */
export function parseNewYorkTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  return zonedTimeToEpochMs(RIDES_CSV_TIMEZONE, y, mo, d, h, mi, s);
}

function number(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

function nullable(text: string): string | null {
  const value = text.trim();
  return value === '' ? null : value;
}

/** Column positions of a header; see {@link rideCsvParser}. */
type Columns = Record<(typeof RIDE_CSV_COLUMNS)[number], number> &
  Partial<Record<(typeof OUTCOME_CSV_COLUMNS)[number], number>>;

function outcomeOf(fields: readonly string[], col: Columns, pickup: number): RideOutcome | null {
  if (col.dropoff === undefined || col.tip === undefined || col.total === undefined) return null;
  const dropoff = parseNewYorkTimestamp(fields[col.dropoff] ?? '');
  const tip = number(fields[col.tip] ?? '');
  const total = number(fields[col.total] ?? '');
  if (dropoff === undefined || !Number.isFinite(tip) || !Number.isFinite(total)) return null;
  return {
    duration_min: (dropoff - pickup) / 60_000,
    cost_usd: Math.round((total - tip) * 100) / 100,
    tip_usd: tip,
    dropoff_time: dropoff,
    total_usd: total,
  };
}

function rideOf(fields: readonly string[], col: Columns, row: number): RideCsvRow {
  const get = (name: keyof Columns): string => fields[col[name] as number] ?? '';
  const pickup = parseNewYorkTimestamp(get('pickup'));
  if (pickup === undefined) {
    return { ok: false, reason: `pickup time "${get('pickup')}" is not ${TIMESTAMP_FORMAT}` };
  }
  const distance = number(get('distance'));
  // The contract's bounds, said in the file's terms (its text as written) before the ride
  // is built; the contract's own check below holds the rest.
  const { maxDistanceMiles, maxPassengers } = RIDE_LIMITS;
  if (!(distance >= 0 && distance <= maxDistanceMiles)) {
    return { ok: false, reason: `distance "${get('distance')}" is not a number of miles in 0-${maxDistanceMiles}` };
  }
  const passengers = number(get('passengers'));
  if (!Number.isInteger(passengers) || passengers < 0 || passengers > maxPassengers) {
    return { ok: false, reason: `passengers "${get('passengers')}" is not an integer 0-${maxPassengers}` };
  }
  const color = COLORS[get('color').trim().toLowerCase()];
  if (color === undefined) return { ok: false, reason: `unknown colour "${get('color')}"` };
  const payment = PAYMENTS[get('payment').trim().toLowerCase()];
  if (payment === undefined) return { ok: false, reason: `unknown payment "${get('payment')}"` };
  const ride: RideStarted = {
    ride_id: `row-${row}`,
    event_time: pickup,
    pickup_time: pickup,
    pickup_zone: nullable(get('pickup_zone')),
    dropoff_zone: nullable(get('dropoff_zone')),
    pickup_borough: nullable(get('pickup_borough')),
    dropoff_borough: nullable(get('dropoff_borough')),
    estimated_distance_miles: distance,
    passengers,
    service_color: color,
    payment_method: payment,
  };
  // The contract the streaming and online modes hold rides to (dates, zones, …), so a ride
  // they refuse is not scored here either.
  const problem = rideFieldProblem(ride);
  if (problem !== null) return { ok: false, reason: problem.message };
  return { ok: true, ride, outcome: outcomeOf(fields, col, pickup) };
}

/**
 * A parser of the data rows of a rides CSV with the given header: it turns a record's
 * fields into a `RideStarted` (ride_id `row-<n>`, timestamps read as New York time,
 * empty zones → null, 'credit card' → CREDIT_CARD, 'cash' → CASH, empty → UNKNOWN)
 * plus the actual outcome (dropoff time and total included) when the file has `dropoff`,
 * `tip` and `total`. A row whose field count is not the header's is bad: an unquoted
 * comma or a missing field would shift every column after it.
 * @throws FleetError FLEET_INPUT_INVALID when the header lacks a required column.
 */
export function rideCsvParser(header: readonly string[]): (fields: readonly string[], row: number) => RideCsvRow {
  const names = header.map((h) => h.trim().toLowerCase());
  const col: Partial<Columns> = {};
  for (const name of [...RIDE_CSV_COLUMNS, ...OUTCOME_CSV_COLUMNS]) {
    const at = names.indexOf(name);
    if (at !== -1) col[name] = at;
  }
  const missing = RIDE_CSV_COLUMNS.filter((name) => col[name] === undefined);
  if (missing.length > 0) {
    throw new FleetError('FLEET_INPUT_INVALID', `rides CSV lacks the column(s) ${missing.join(', ')}`, {
      context: { missing },
    });
  }
  return (fields, row) =>
    fields.length === header.length
      ? rideOf(fields, col as Columns, row)
      : {
          ok: false,
          reason:
            `${fields.length} fields where the header has ${header.length} ` +
            '(a comma inside a field must be quoted: "…,…")',
        };
}

/**
 * Streams the records of a CSV file (RFC 4180 through csv-parse: quoted fields, doubled
 * quotes, embedded commas and line breaks, CRLF or LF); yields the header as row 0, then
 * every non-blank record. A quote inside an unquoted field is taken as it is
 * (`Joe "Lenox" Hill`), so one such field does not end the whole file.
 * @throws FleetError FLEET_INPUT_INVALID when the file cannot be read as CSV (a quoted
 * field never closed), naming the line.
 */
export async function* readCsvRecords(path: string): AsyncGenerator<CsvRecord> {
  const input = createReadStream(path);
  const parser = parse({
    raw: true,
    info: true,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
  });
  // pipe() does not forward errors: a missing file must end the iteration, not the process.
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let row = 0;
  try {
    for await (const { record, raw, info } of parser as AsyncIterable<{
      record: string[];
      raw: string;
      info: { lines: number };
    }>) {
      // csv-parse's raw text keeps the line breaks around the record; the record is what
      // `fleet predict` copies into its output, so they are trimmed.
      const text = raw.replace(/^[\r\n]+|[\r\n]+$/g, '');
      const line = info.lines - (text.match(/\n/g)?.length ?? 0);
      yield { row, line, raw: text, fields: record };
      row++;
    }
  } catch (err) {
    const csv = err as Error & { code?: string; lines?: number };
    if (typeof csv.code !== 'string' || !csv.code.startsWith('CSV_')) throw err;
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `${path} is not valid CSV near line ${csv.lines ?? '?'}: ${csv.message}; ` +
        'a field holding a comma, quote or line break must be quoted, its quotes doubled ("a ""b"", c")',
      { cause: err, context: { line: csv.lines } },
    );
  }
}

/**
 * Reads a whole (small) rides CSV: the header, and for each data row its record and
 * parse result, in file order. Prefer {@link readCsvRecords} + {@link rideCsvParser}
 * for large files.
 * @throws FleetError FLEET_INPUT_INVALID when the file is empty or lacks a column.
 */
export async function loadRideCsv(path: string): Promise<{ header: string[]; rows: (CsvRecord & RideCsvRow)[] }> {
  let header: string[] | undefined;
  let parse: ReturnType<typeof rideCsvParser> | undefined;
  const rows: (CsvRecord & RideCsvRow)[] = [];
  for await (const record of readCsvRecords(path)) {
    if (parse === undefined || header === undefined) {
      header = record.fields;
      parse = rideCsvParser(header);
      continue;
    }
    rows.push({ ...record, ...parse(record.fields, record.row) });
  }
  if (header === undefined) throw new FleetError('FLEET_INPUT_INVALID', `rides CSV ${path} is empty`);
  return { header, rows };
}
