/**
 * The fault suite's figures: docs/faults.json (written by the suite's teardown after a run
 * of the whole suite) rendered as the README's table and as docs/faults.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FaultResult } from '../../test/faults/lib/results.js';
import { provenanceLine, type Provenance } from './provenance.js';
import { markdown, prettierFormat, REPO_ROOT, table } from './sections.js';

/** Where the last full run of the fault suite is committed. */
export const FAULTS_JSON = 'docs/faults.json';

/** One run of the whole fault suite. */
export interface FaultsRun extends Provenance {
  /** The test files that ran, relative to the repository. */
  files: string[];
  results: FaultResult[];
}

/** The committed run, or undefined before the first one. */
export function readFaultsRun(): FaultsRun | undefined {
  const path = join(REPO_ROOT, FAULTS_JSON);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as FaultsRun) : undefined;
}

/** Commits `run` to docs/faults.json (prettier-formatted). */
export async function writeFaultsRun(run: FaultsRun): Promise<void> {
  const path = join(REPO_ROOT, FAULTS_JSON);
  await writeFile(path, await prettierFormat(JSON.stringify(run), path));
}

const NOT_YET = [
  '_Not recorded yet: a run of the whole fault suite (`npm run test:faults`) writes',
  '`docs/faults.json`, from which this table is generated._',
];

const n = (x: number): string => x.toLocaleString('en-US');
const seconds = (ms: number, digits = 1): string => (ms / 1000).toFixed(digits);
const verdict = (r: FaultResult): string => (r.skipped ? 'skipped' : r.ok ? 'pass' : '**fail**');

/** The cells of a row; a skipped row shows its verdict and dashes. */
function cells(r: FaultResult, columns: ReadonlyArray<(r: FaultResult) => string>): string[] {
  return [r.fault, verdict(r), ...columns.map((c) => (r.skipped ? '–' : c(r)))];
}

function skippedLines(run: FaultsRun): string[] {
  const skipped = run.results.filter((r) => r.skipped);
  if (skipped.length === 0) return [];
  return ['', 'Skipped by an explicit opt-out:', '', ...skipped.map((r) => `- ${r.fault}: ${r.skipped}`)];
}

/** The README's table: what a reader needs to trust the guarantees. */
export async function faultsSummary(run = readFaultsRun()): Promise<string> {
  if (!run) return markdown(NOT_YET);
  const rows = run.results.map((r) =>
    cells(r, [
      (x) => (x.duplicatesPublished > 0 ? `${n(x.rides)} (+${n(x.duplicatesPublished)})` : n(x.rides)),
      (x) => n(x.lost),
      (x) => n(x.duplicateDecisions),
      (x) => n(x.degraded),
      (x) => (x.outageMs > 0 ? seconds(x.outageMs) : '–'),
      (x) => seconds(x.recoveryMs),
    ]),
  );
  return markdown([
    `Last run of the whole suite: ${provenanceLine(run)}. Every column and the notes of each`,
    'fault: [docs/faults.md](docs/faults.md).',
    '',
    ...table(
      ['fault', 'audit', 'rides', 'lost', 'duplicate decisions', 'degraded', 'outage s', 'recovery s'],
      rows,
      'llrrrrrr',
    ),
    ...skippedLines(run),
  ]);
}

/** docs/faults.md's table: every figure of every fault, and the notes the suite recorded. */
export async function faultsDetail(run = readFaultsRun()): Promise<string> {
  if (!run) return markdown(NOT_YET, 'docs/faults.md');
  const rows = run.results.map((r) =>
    cells(r, [
      (x) => n(x.rides),
      (x) => n(x.duplicatesPublished),
      (x) => n(x.decided),
      (x) => n(x.lost),
      (x) => n(x.duplicateDecisions),
      (x) => n(x.conflicting),
      (x) => n(x.degraded),
      (x) => n(x.orderViolations),
      (x) => (x.outageMs > 0 ? seconds(x.outageMs) : '–'),
      (x) => seconds(x.recoveryMs),
      (x) => seconds(x.maxLatencyMs),
      (x) => seconds(x.baselineP99Ms, 2),
    ]),
  );
  const header = ['fault', 'audit', 'rides', 'published twice', 'decided', 'lost', 'duplicate decisions'];
  header.push('conflicting', 'degraded', 'order violations', 'outage s', 'recovery s', 'max latency s');
  const notes = run.results.filter((r) => r.notes && !r.skipped).map((r) => `- ${r.fault}: ${r.notes}`);
  return markdown(
    [
      `Run of ${provenanceLine(run)}; files: ${run.files.map((f) => `\`${f}\``).join(', ')}.`,
      '',
      ...table([...header, 'p99 before s'], rows, 'llrrrrrrrrrrrrr'),
      ...(notes.length > 0 ? ['', 'Notes the suite recorded:', '', ...notes] : []),
      ...skippedLines(run),
    ],
    'docs/faults.md',
  );
}
