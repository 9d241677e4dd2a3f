/**
 * `npm run bench -- --only STAGES --merge`: a run of some stages replaces their figures in
 * the results file and keeps the others', each merged stage with its own run's date,
 * commit, machine and load (`stageRuns`), so a table generated from the file says which
 * run each figure comes from. For a machine shared with others, where a full run is not
 * possible at the time.
 */
import { readFile } from 'node:fs/promises';
import { gitCommit } from '../../scripts/docs/provenance.js';
import type { BenchResults } from './report.js';

/** The run a merged stage comes from. */
export interface StageRun {
  timestamp: string;
  commit: string;
  quick: boolean;
  durationSec: number;
  info: BenchResults['info'];
  loadavgAtEnd?: string;
}

/** What describes a run rather than a stage. */
const RUN_KEYS = new Set([
  'timestamp',
  'commit',
  'quick',
  'durationSec',
  'runId',
  'info',
  'rides',
  'rideValueBytes',
  'errors',
  'loadavgAtEnd',
  'figures',
  'stageRuns',
]);

/**
 * The results file `--merge` merges into, or undefined when there is none yet. Any other
 * failure throws, naming the file: a file that cannot be read or parsed is not replaced by
 * the stages of one run.
 */
export async function readMergeBase(path: string): Promise<(BenchResults & { figures?: unknown }) | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`--merge: cannot read ${path}: ${messageOf(err)}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`--merge: ${path} is not valid JSON (${messageOf(err)}); fix or move it first`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`--merge: ${path} does not hold the results of a run; fix or move it first`);
  }
  return parsed as BenchResults & { figures?: unknown };
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * `partial`'s stages merged into the results at `path` (`partial` alone when there are none).
 * `stages` are the stages `partial` ran: the errors the file kept for them (keyed by stage,
 * `alt` or `tuning.fleet`, not by the figures' key) are dropped, so a stage that now
 * succeeds no longer reads as failed.
 */
export async function mergeResults(
  path: string,
  partial: BenchResults,
  stages: readonly string[] = [],
): Promise<BenchResults> {
  const previous = await readMergeBase(path);
  if (previous === undefined) return partial;
  const { figures: _, ...kept } = previous;
  const run: StageRun = {
    timestamp: partial.timestamp,
    commit: gitCommit(),
    quick: partial.quick,
    durationSec: partial.durationSec,
    info: partial.info,
    loadavgAtEnd: partial.loadavgAtEnd,
  };
  // The base run keeps its own commit: writeResults stamps the current commit on results
  // without one, which would credit a base recorded before commits were kept ('' renders as
  // "commit not recorded") to the merging commit.
  const merged: BenchResults = {
    ...kept,
    commit: kept.commit ?? '',
    stageRuns: { ...kept.stageRuns },
    errors: { ...kept.errors },
  };
  const target = merged as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(partial)) {
    if (RUN_KEYS.has(key) || value === undefined) continue;
    target[key] = value;
    merged.stageRuns![key] = run;
    delete merged.errors[key];
  }
  for (const key of Object.keys(merged.errors)) {
    if (stages.some((stage) => key === stage || key.startsWith(`${stage}.`))) delete merged.errors[key];
  }
  Object.assign(merged.errors, partial.errors);
  return merged;
}
