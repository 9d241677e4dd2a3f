import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { modelVersionDir, REPO_ROOT } from '@fleet/contract';
import { predictCommand } from '../src/commands/predict.js';

const HEADER =
  'pickup,dropoff,passengers,distance,fare,tip,tolls,total,color,payment,pickup_zone,dropoff_zone,pickup_borough,dropoff_borough,note';
const ROWS = [
  '2019-03-23 20:21:09,2019-03-23 20:27:24,1,1.6,7.0,2.15,0.0,12.95,yellow,credit card,Lenox Hill West,UN/Turtle Bay South,Manhattan,Manhattan,"a, quoted note"',
  '2019-03-04 16:11:55,2019-03-04 16:19:00,1,0.79,5.0,0.0,0.0,9.3,yellow,cash,Upper West Side South,Upper West Side South,Manhattan,Manhattan,',
  'not a time,2019-03-04 16:19:00,1,0.79,5.0,0.0,0.0,9.3,yellow,cash,,,,,',
  '2019-03-10 03:41:47,2019-03-10 04:20:00,0,17.5,52.0,0.0,5.76,58.56,green,,JFK Airport,,Queens,,',
  '2019-03-11 08:00:00,2019-03-11 08:10:00,1,-2,5.0,0.0,0.0,9.3,yellow,cash,,,,,',
];

describe('fleet predict', () => {
  let dir = '';
  let stderr: string[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleet-predict-'));
    stderr = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every row in order with three prediction columns; bad rows stay, empty', async () => {
    const input = join(dir, 'rides.csv');
    const output = join(dir, 'predictions.csv');
    await writeFile(input, `${HEADER}\n${ROWS.join('\n')}\n`);
    const code = await predictCommand.run(['--input', input, '--output', output, '--batch-size', '2']);
    expect(code, stderr.join('')).toBe(0);
    const lines = (await readFile(output, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe(`${HEADER},duration_min,cost_usd,tip_usd`);
    expect(lines).toHaveLength(ROWS.length + 1);
    lines.slice(1).forEach((line, i) => expect(line.startsWith(ROWS[i])).toBe(true));
    const cells = (line: string) => line.split(',').slice(-3);
    for (const i of [1, 2, 4]) {
      const [duration, cost, tip] = cells(lines[i]).map(Number);
      expect(duration).toBeGreaterThan(0);
      expect(cost).toBeGreaterThan(0);
      expect(Number.isFinite(tip)).toBe(true);
    }
    expect(cells(lines[3])).toEqual(['', '', '']);
    expect(cells(lines[5])).toEqual(['', '', '']);
    const log = stderr.join('');
    expect(log).toMatch(/row 3 \(line 4\): pickup time "not a time" is not YYYY-MM-DD HH:MM:SS, New York local time/);
    expect(log).toMatch(/row 5 \(line 6\): distance "-2"/);
    expect(log).toMatch(/5 rows, 3 scored, 2 bad/);
    expect(log).toMatch(/MAE against the file's actual outcomes \(3 rides\)/);
  });

  it('scores with the versions named, adds their interval bounds and measures their coverage', async () => {
    const input = join(REPO_ROOT, 'models', 'data', 'test_rides.csv');
    const output = join(dir, 'ranges.csv');
    const code = await predictCommand.run([
      '--input',
      input,
      '--output',
      output,
      '--versions',
      'duration@2.0.0,cost@2.0.0',
    ]);
    expect(code, stderr.join('')).toBe(0);
    const lines = (await readFile(output, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /,duration_min,cost_usd,tip_usd,duration_min_low,duration_min_high,cost_usd_low,cost_usd_high$/,
    );
    for (const line of lines.slice(1)) {
      const [duration, cost, , dLow, dHigh, cLow, cHigh] = line.split(',').slice(-7).map(Number);
      expect(dLow).toBeLessThanOrEqual(duration);
      expect(dHigh).toBeGreaterThanOrEqual(duration);
      expect(cLow).toBeLessThanOrEqual(cost);
      expect(cHigh).toBeGreaterThanOrEqual(cost);
    }
    // The file is the test split: the coverage measured here is the one the card reports.
    const log = stderr.join('');
    expect(log).toContain('versions duration 2.0.0, cost 2.0.0, tip 1.0.0');
    for (const model of ['duration', 'cost'] as const) {
      const card = JSON.parse(await readFile(join(modelVersionDir(model, '2.0.0'), 'model.json'), 'utf8'));
      const coverage = (card.metrics.interval.test_coverage * 100).toFixed(1);
      expect(log).toContain(`${model} ${coverage} % (nominal 80 %)`);
    }
  });

  it('refuses a version that is not there, naming those that are', async () => {
    const input = join(dir, 'rides.csv');
    await writeFile(input, `${HEADER}\n${ROWS[0]}\n`);
    const code = await predictCommand.run([
      '--input',
      input,
      '--output',
      join(dir, 'o.csv'),
      '--versions',
      'tip@7.0.0',
    ]);
    expect(code).toBe(1);
    expect(stderr.join('')).toMatch(/model "tip" has no version 7\.0\.0 .*versions: 1\.0\.0/);
    expect(await predictCommand.run(['--input', input, '--output', join(dir, 'o.csv'), '--versions', 'fare@1'])).toBe(
      2,
    );
  });

  it('prints usage on --help and exits 2 on missing or unknown arguments', async () => {
    expect(await predictCommand.run(['--help'])).toBe(0);
    expect(await predictCommand.run(['--input', 'x.csv'])).toBe(2);
    expect(await predictCommand.run(['--input', 'x.csv', '--output', 'y.csv', '--bogus'])).toBe(2);
    expect(await predictCommand.run(['--input', 'x.csv', '--output', 'y.csv', '--batch-size', '0'])).toBe(2);
    expect(stderr.join('')).toContain('Usage: npx fleet predict');
  });

  it('fails with exit code 1 on a missing input file or a header without ride columns', async () => {
    const output = join(dir, 'out.csv');
    expect(await predictCommand.run(['--input', join(dir, 'nope.csv'), '--output', output])).toBe(1);
    const input = join(dir, 'wrong.csv');
    await writeFile(input, 'a,b\n1,2\n');
    expect(await predictCommand.run(['--input', input, '--output', output])).toBe(1);
    expect(stderr.join('')).toMatch(/lacks the column/);
    // A failed run leaves no output file, not even half of one.
    expect(existsSync(output)).toBe(false);
    expect(existsSync(`${output}.partial`)).toBe(false);
  });

  it('refuses an output that is the input file (by another path too), which it would empty', async () => {
    const input = join(dir, 'rides.csv');
    const text = `${HEADER}\n${ROWS.join('\n')}\n`;
    await writeFile(input, text);
    await symlink(input, join(dir, 'link.csv'));
    for (const output of [input, join(dir, '.', 'rides.csv'), join(dir, 'link.csv')])
      expect(await predictCommand.run(['--input', input, '--output', output])).toBe(2);
    expect(stderr.join('')).toMatch(/is the input file/);
    expect(await readFile(input, 'utf8')).toBe(text);
  });

  it('keeps the added columns under their names when a row has too few or too many fields, and reads stray quotes', async () => {
    const input = join(dir, 'rides.csv');
    const output = join(dir, 'predictions.csv');
    const short = ROWS[1].slice(0, ROWS[1].lastIndexOf(',')); // the empty note dropped: 14 fields
    const unquoted = ROWS[0].replace('Lenox Hill West', 'Lenox Hill West, North'); // 16 fields
    const quote = ROWS[1].replace('Upper West Side South,', 'Joe "Lenox" Hill,'); // a quote inside a field
    await writeFile(input, `${HEADER}\n${[short, unquoted, quote, ROWS[1]].join('\n')}\n`);
    expect(await predictCommand.run(['--input', input, '--output', output]), stderr.join('')).toBe(0);
    const lines = (await readFile(output, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    // The short row gets its missing cell, then three empty predictions: 15 + 3 cells.
    expect(lines[1]).toBe(`${short},,,,`);
    expect(lines[2]).toBe(`${unquoted},,,`);
    expect(lines[3].split(',').slice(-3).map(Number).every(Number.isFinite)).toBe(true);
    expect(lines[3].split(',').at(-3)).not.toBe('');
    const log = stderr.join('');
    expect(log).toMatch(/row 1 \(line 2\): 14 fields where the header has 15/);
    expect(log).toMatch(/row 2 \(line 3\): 16 fields where the header has 15/);
    expect(log).toMatch(/4 rows, 2 scored, 2 bad/);
  });

  it('refuses rides the streaming and online modes refuse, and says which line is not CSV', async () => {
    const input = join(dir, 'rides.csv');
    const output = join(dir, 'predictions.csv');
    const future = ROWS[1].replaceAll('2019-03-04', '2099-03-04');
    const old = ROWS[1].replaceAll('2019-03-04', '2001-03-04');
    await writeFile(input, `${HEADER}\n${[future, old, ROWS[1]].join('\n')}\n`);
    expect(await predictCommand.run(['--input', input, '--output', output]), stderr.join('')).toBe(0);
    const log = stderr.join('');
    expect(log).toMatch(/row 1 \(line 2\): event_time .* more than a day in the future/);
    expect(log).toMatch(/row 2 \(line 3\): event_time .* before 2009/);
    expect(log).toMatch(/3 rows, 1 scored, 2 bad/);

    await writeFile(input, `${HEADER}\n${ROWS[1]}\n${ROWS[1].replace('cash', '"cash')}\n`);
    expect(await predictCommand.run(['--input', input, '--output', output])).toBe(1);
    expect(stderr.join('')).toMatch(/is not valid CSV near line 3: .* must be quoted/);
  });

  it('refuses to score its own output again, which would repeat the columns it adds', async () => {
    const input = join(dir, 'rides.csv');
    await writeFile(input, `${HEADER}\n${ROWS[1]}\n`);
    expect(await predictCommand.run(['--input', input, '--output', join(dir, 'once.csv')])).toBe(0);
    expect(await predictCommand.run(['--input', join(dir, 'once.csv'), '--output', join(dir, 'twice.csv')])).toBe(1);
    expect(stderr.join('')).toMatch(/already has the column\(s\) duration_min, cost_usd, tip_usd/);
    expect(existsSync(join(dir, 'twice.csv'))).toBe(false);
  });

  it('scores with the models of MODELS_DIR, as the rest of the fleet does', async () => {
    // A models directory whose manifest makes duration 2.0.0 current: its interval columns appear.
    const models = join(dir, 'models');
    await mkdir(models);
    for (const name of ['duration', 'cost', 'tip', 'features.json'])
      await symlink(join(REPO_ROOT, 'models', name), join(models, name));
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'models', 'manifest.json'), 'utf8')) as Record<
      string,
      { current: string }
    >;
    manifest.duration.current = '2.0.0';
    await writeFile(join(models, 'manifest.json'), JSON.stringify(manifest));
    const input = join(dir, 'rides.csv');
    const output = join(dir, 'predictions.csv');
    await writeFile(input, `${HEADER}\n${ROWS[1]}\n`);
    const { code, err } = await cli(['predict', '--input', input, '--output', output], { MODELS_DIR: models });
    expect(code, err).toBe(0);
    expect((await readFile(output, 'utf8')).split('\n')[0]).toMatch(/,duration_min_low,duration_min_high$/);
    expect(err).toMatch(/versions duration 2\.0\.0, cost 1\.0\.0, tip 1\.0\.0/);
  });

  it('stops on SIGINT without leaving a partial output', { timeout: 60_000 }, async () => {
    const input = join(dir, 'rides.csv');
    const output = join(dir, 'predictions.csv');
    await writeFile(input, `${HEADER}\n${`${ROWS[1]}\n`.repeat(400_000)}`);
    let sent = false;
    const { code, err } = await cli(['predict', '--input', input, '--output', output], {}, (text, child) => {
      if (/rows read/.test(text) && !sent) sent = child.kill('SIGINT');
    });
    expect(code, err).toBe(130);
    expect(err).toMatch(/interrupted; .* was not written/);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(`${output}.partial`)).toBe(false);
  });
});

/** Runs the CLI as its own process; `onStderr` sees its stderr so far as it comes. */
function cli(
  args: string[],
  env: Record<string, string>,
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    onStderr?.(err, child);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, err })));
}
