/**
 * The demo's output in the README: docs/demo-run.json (a real run, recorded by
 * `npm run docs:demo`) printed by the demo's own summary formatter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSummary, type LatencyWindow, type RunSummary } from '@fleet/backend';
import { formatBreakdown, type HopFigure } from '@fleet/cli/launcher';
import { isMeasured, outcome } from '../../bench/lib/verdict.js';
import { met } from './bench.js';
import { provenanceLine, type Provenance } from './provenance.js';
import { markdown, REPO_ROOT } from './sections.js';

/** Where the recorded demo run is committed. */
export const DEMO_JSON = 'docs/demo-run.json';

/** One recorded run of `fleet demo --json`. */
export interface DemoRun extends Provenance {
  /** The command as a person would type it. */
  command: string;
  exitCode: number;
  /** What the demo printed with `--json`: the summary and the per-hop breakdown. */
  summary: RunSummary & { breakdown?: HopFigure[] };
}

/** The recorded run, or undefined before the first one. */
export function readDemoRun(): DemoRun | undefined {
  const path = join(REPO_ROOT, DEMO_JSON);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as DemoRun) : undefined;
}

/** Issue #11's target for the demo from a cold start: p99 end to end, ms. */
export const DEMO_COLD_P99_TARGET_MS = 50;

/** The exit code of a run that failed (not 0); undefined for a run that succeeded. */
function failedExit(run: Partial<Pick<DemoRun, 'exitCode'>>): number | undefined {
  return typeof run.exitCode === 'number' && run.exitCode !== 0 ? run.exitCode : undefined;
}

/**
 * Whether the recorded run met the cold-start target, and by how much it missed: never met
 * by a run that failed, nor by one whose p99 was not measured.
 */
export function coldTargetLine(run: Pick<DemoRun, 'summary'> & Partial<Pick<DemoRun, 'exitCode'>>): string {
  const fleet = run.summary.fleetLatencyMs.p99;
  const seen = run.summary.latencyMs.p99;
  const target = DEMO_COLD_P99_TARGET_MS;
  const exit = failedExit(run);
  const verdict =
    exit === undefined
      ? `${met(outcome([fleet, seen], fleet <= target && seen <= target))} in this run`
      : `${met('not met')} in this run, which failed with exit code ${exit}`;
  const p99 = (ms: number): string => {
    if (!isMeasured(ms)) return 'not measured';
    return `${ms} ms, ${ms <= target ? 'within it' : `${ms - target} ms over`}`;
  };
  return (
    `Target: the demo from a cold start, p99 ≤ ${target} ms end to end: ${verdict} ` +
    `(ride→decided p99 ${p99(fleet)}; ride→seen p99 ${p99(seen)}).` +
    windowsClause(run.summary.fleetLatencyByWindow)
  );
}

/** Where in the run its slowest rides were, and how the run ended. */
function windowsClause(windows: readonly LatencyWindow[] | undefined): string {
  if (!windows || windows.length < 2) return '';
  const span = (w: LatencyWindow) => `${w.fromSec}–${w.toSec} s`;
  const worst = windows.reduce((a, b) => (b.p99 > a.p99 ? b : a));
  const last = windows[windows.length - 1];
  const lead = ` By the rides' event time, its slowest stretch was ${span(worst)} (p99 ${worst.p99} ms)`;
  return worst === last ? `${lead}, its last.` : `${lead}, its last, ${span(last)}, had p99 ${last.p99} ms.`;
}

/** The README's demo section: what the demo printed in the recorded run. */
export async function demoSection(run = readDemoRun()): Promise<string> {
  if (!run) {
    return markdown([
      '_Not recorded yet: `npm run docs:demo` runs the demo and records it in `docs/demo-run.json`,',
      'from which this section is generated._',
    ]);
  }
  const exit = failedExit(run);
  // A run that failed says so before its figures: they are not those of a run that worked.
  const which = exit === undefined ? 'a real run' : `a real run that **failed (exit ${exit})**`;
  return markdown([
    `The summary of ${which} (\`${run.command}\`, recorded ${provenanceLine(run)}), as the`,
    'demo prints it:',
    '',
    '```text',
    formatSummary(run.summary),
    ...(run.summary.breakdown?.length ? [formatBreakdown(run.summary.breakdown)] : []),
    '```',
    '',
    coldTargetLine(run),
  ]);
}
