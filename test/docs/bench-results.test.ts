import { link, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shouldWriteResults, writeResults, type BenchResults } from '../../bench/lib/report.js';

const info = {
  machine: { cpus: 2, cpuModel: 'AMD EPYC', memGb: 24, loadavgAtStart: '1.00 1.00 1.00' },
  versions: { node: '20.20.2' },
};
const run = {
  timestamp: '2026-11-25T15:57:00.000Z',
  quick: false,
  durationSec: 259,
  runId: 'a',
  info,
  rides: 200_000,
  errors: {},
} as unknown as BenchResults;

describe('the results of a bench run', () => {
  it('are not written over the last run when no stage produced a figure, unless merged into it', () => {
    const setupFailed = { ...run, errors: { ceilings: 'not run: filling bench.a.rides failed: broker down' } };
    expect(shouldWriteResults(setupFailed, false)).toBe(false);
    expect(shouldWriteResults(run, false)).toBe(false);
    // A stage that began but measured nothing leaves an empty object: still no figure.
    expect(shouldWriteResults({ ...setupFailed, ceilings: {} }, false)).toBe(false);
    // Merged, the file keeps its other stages and records this run's errors.
    expect(shouldWriteResults(setupFailed, true)).toBe(true);
  });

  it('are written when a stage produced figures, even if another stage failed', () => {
    const pipe = { ratePerSec: 200_000, seconds: 1, records: 200_000, meanBatch: 6667, cpuSecPer1000: 0.005 };
    const partial = { ...run, errors: { fleet: 'timeout' }, ceilings: { kafkajsPipe: pipe } } as BenchResults;
    expect(shouldWriteResults(partial, false)).toBe(true);
  });
});

describe('the results file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is replaced whole: written beside it, then renamed over it, leaving no temporary file', async () => {
    const path = join(dir, 'latest.json');
    const before = `${JSON.stringify({ ...run, runId: 'before' })}\n`;
    await writeFile(path, before);
    // A reader that opened the old file (here a second link to it) keeps it whole: the new
    // results never truncate it in place.
    await link(path, join(dir, 'reader.json'));
    await writeResults(path, { ...run, runId: 'after' });
    expect(await readFile(join(dir, 'reader.json'), 'utf8')).toBe(before);
    expect((JSON.parse(await readFile(path, 'utf8')) as BenchResults).runId).toBe('after');
    expect((await readdir(dir)).sort()).toEqual(['latest.json', 'reader.json']);
  });
});
