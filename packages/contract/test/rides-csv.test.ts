import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseCsv } from 'csv-parse/sync';
import { loadRideCsv, parseNewYorkTimestamp, readCsvRecords, rideCsvParser } from '../src/rides-csv.js';

/** The fields of one CSV line, as csv-parse reads them. */
const splitCsvRecord = (line: string): string[] => (parseCsv(line, { relax_column_count: true }) as string[][])[0];

const HEADER =
  'pickup,dropoff,passengers,distance,fare,tip,tolls,total,color,payment,pickup_zone,dropoff_zone,pickup_borough,dropoff_borough';

describe('rides CSV', () => {
  it('reads New York wall-clock timestamps across the DST switch', () => {
    expect(parseNewYorkTimestamp('2019-03-10 01:59:59')).toBe(Date.UTC(2019, 2, 10, 6, 59, 59));
    expect(parseNewYorkTimestamp('2019-03-10 03:00:00')).toBe(Date.UTC(2019, 2, 10, 7, 0, 0));
    expect(parseNewYorkTimestamp('2019-02-30 10:00:00')).toBeUndefined();
    expect(parseNewYorkTimestamp('yesterday')).toBeUndefined();
  });

  it('parses a row into a ride and its outcome, and says why a row is bad', () => {
    const parse = rideCsvParser(HEADER.split(','));
    const row =
      '2019-03-23 20:21:09,2019-03-23 20:27:24,1,1.6,7.0,2.15,0.0,12.95,yellow,credit card,Lenox Hill West,,Manhattan,';
    const good = parse(splitCsvRecord(row), 7);
    expect(good).toMatchObject({
      ok: true,
      ride: {
        ride_id: 'row-7',
        pickup_time: Date.UTC(2019, 2, 24, 0, 21, 9),
        dropoff_zone: null,
        payment_method: 'CREDIT_CARD',
      },
      outcome: { cost_usd: 10.8, tip_usd: 2.15, total_usd: 12.95, dropoff_time: Date.UTC(2019, 2, 24, 0, 27, 24) },
    });
    const bad = (fields: string) => parse(splitCsvRecord(fields), 1);
    expect(bad(row.replace('1.6', '-1'))).toMatchObject({ ok: false, reason: expect.stringContaining('distance') });
    expect(bad(row.replace('1.6', ''))).toMatchObject({ ok: false, reason: expect.stringContaining('distance') });
    expect(bad(row.replace('yellow', 'purple'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('colour'),
    });
    expect(bad(row.replace('2019-03-23 20:21:09', 'soon'))).toMatchObject({
      ok: false,
      reason: 'pickup time "soon" is not YYYY-MM-DD HH:MM:SS, New York local time',
    });
    expect(bad(row.replaceAll('2019-03-23', '2008-06-01'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('before 2009'),
    });
    expect(bad(row.slice(0, row.lastIndexOf(',')))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('13 fields where the header has 14'),
    });
    expect(bad(row.replace('credit card', ''))).toMatchObject({ ok: true, ride: { payment_method: 'UNKNOWN' } });
  });

  it('requires the ride columns and ignores extra ones', () => {
    expect(() => rideCsvParser(['pickup', 'distance'])).toThrow(/passengers/);
    const parse = rideCsvParser([
      'extra',
      ...HEADER.split(',').filter((c) => !['dropoff', 'tip', 'total'].includes(c)),
    ]);
    const result = parse(
      ['x', '2019-03-01 12:00:00', '2', '3', '10', '0', 'green', 'cash', 'A', 'B', 'Queens', 'Queens'],
      1,
    );
    expect(result).toMatchObject({ ok: true, outcome: null, ride: { service_color: 'GREEN', passengers: 2 } });
  });

  it('streams records, joining quoted multi-line fields and skipping blank lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-csv-'));
    try {
      const file = join(dir, 'rides.csv');
      const row = '2019-03-04 16:11:55,2019-03-04 16:19:00,1,0.79,5.0,0.0,0.0,9.3,yellow,cash';
      await writeFile(
        file,
        `${HEADER}\r\n${row},"Upper West\nSide",Upper West Side South,Manhattan,Manhattan\r\n\r\n${row},,,,\n`,
      );
      const records = [];
      for await (const r of readCsvRecords(file)) records.push(r);
      expect(records.map((r) => r.row)).toEqual([0, 1, 2]);
      const { rows } = await loadRideCsv(file);
      expect(rows).toHaveLength(2);
      expect(records[1].fields[10]).toBe('Upper West\nSide');
      expect(records.map((r) => r.line)).toEqual([1, 2, 5]);
      // A line break in a zone is a control character, which the stream and online modes refuse too.
      expect(rows[0]).toMatchObject({ ok: false, reason: expect.stringContaining('control characters') });
      expect(rows[1]).toMatchObject({ ok: true, ride: { pickup_zone: null, dropoff_borough: null } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
