/**
 * The demo's output in the README: docs/demo-run.json (a real run, recorded by
 * `npm run docs:demo`) printed by the demo's own summary formatter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSummary, type RunSummary } from '@fleet/backend';
import { formatBreakdown, type HopFigure } from '@fleet/cli/launcher';
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

/** The README's demo section: what the demo printed in the recorded run. */
export async function demoSection(run = readDemoRun()): Promise<string> {
  if (!run) {
    return markdown([
      '_Not recorded yet: `npm run docs:demo` runs the demo and records it in `docs/demo-run.json`,',
      'from which this section is generated._',
    ]);
  }
  return markdown([
    `The summary of a real run (\`${run.command}\`, recorded ${provenanceLine(run)}), as the`,
    'demo prints it:',
    '',
    '```text',
    formatSummary(run.summary),
    ...(run.summary.breakdown?.length ? [formatBreakdown(run.summary.breakdown)] : []),
    '```',
  ]);
}
