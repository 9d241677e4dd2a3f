import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeResults } from '../../bench/lib/merge.js';
import { writeResults, type BenchResults } from '../../bench/lib/report.js';
import { runLine } from '../../scripts/docs/bench.js';

const info = {
  machine: { cpus: 2, cpuModel: 'AMD EPYC', memGb: 24, loadavgAtStart: '1.00 1.00 1.00' },
  versions: { node: '20.20.2' },
};
const base = {
  timestamp: '2026-11-25T15:57:00.000Z',
  quick: false,
  durationSec: 259,
  runId: 'a',
  info,
  rides: 1,
  errors: {},
};

describe('a bench run merged into an earlier results file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-merge-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the base run's commit not recorded instead of crediting it to the merging commit", async () => {
    const path = join(dir, 'latest.json');
    await writeFile(path, JSON.stringify(base));
    const partial = { ...base, timestamp: '2026-11-25T22:00:00.000Z', runId: 'b', inference: { points: [] } };
    await writeResults(path, await mergeResults(path, partial as unknown as BenchResults));
    const written = JSON.parse(await readFile(path, 'utf8')) as BenchResults;
    expect(runLine(written)).toContain('commit not recorded');
    expect(written.stageRuns?.inference?.commit).toMatch(/^[0-9a-f]{7}/);
  });

  it('drops the error a re-run stage had, keyed by its stage name, and keeps the others', async () => {
    const path = join(dir, 'errors.json');
    const errors = { alt: 'pipe stalled', 'tuning.fleet': 'x', online: 'y' };
    await writeFile(path, JSON.stringify({ ...base, errors }));
    const partial = { ...base, runId: 'b', clients: {} } as unknown as BenchResults;
    expect((await mergeResults(path, partial, ['alt', 'tuning'])).errors).toEqual({ online: 'y' });
    const failedAgain = { ...partial, errors: { alt: 'again' } } as unknown as BenchResults;
    expect((await mergeResults(path, failedAgain, ['alt'])).errors).toEqual({
      alt: 'again',
      'tuning.fleet': 'x',
      online: 'y',
    });
  });

  it("keeps a base run's recorded commit", async () => {
    const path = join(dir, 'recorded.json');
    await writeFile(path, JSON.stringify({ ...base, commit: 'abc1234' }));
    const merged = await mergeResults(path, { ...base, runId: 'b' } as unknown as BenchResults);
    expect(merged.commit).toBe('abc1234');
  });

  it('is the run alone when the file does not exist yet', async () => {
    const partial = { ...base, runId: 'b' } as unknown as BenchResults;
    expect(await mergeResults(join(dir, 'absent.json'), partial)).toBe(partial);
  });

  it('refuses a file it cannot read as results, naming it, rather than replace it whole', async () => {
    const partial = { ...base, runId: 'b', inference: { points: [] } } as unknown as BenchResults;
    const truncated = join(dir, 'truncated.json');
    await writeFile(truncated, JSON.stringify(base).slice(0, 40));
    await expect(mergeResults(truncated, partial)).rejects.toThrow(truncated);
    const notResults = join(dir, 'null.json');
    await writeFile(notResults, 'null');
    await expect(mergeResults(notResults, partial)).rejects.toThrow(notResults);
    // A directory where the file should be: not ENOENT either.
    await expect(mergeResults(dir, partial)).rejects.toThrow(dir);
  });
});
