/**
 * Global setup of the fault suite, after the stack's: empties `test/faults/results.json` at
 * the start and prints the recovery table at the end. After a run of the whole suite (every
 * fault file recorded its rows, no test name filter) it also commits the results with the
 * run's date, commit and machine to docs/faults.json and regenerates the tables rendered
 * from it (docs/faults.md, the README); a partial run leaves them as they are.
 */
import { rmSync } from 'node:fs';
import { relative } from 'node:path';
import type { TestProject } from 'vitest/node';
import { regenerate } from '../../../scripts/docs/generate.js';
import { writeFaultsRun } from '../../../scripts/docs/faults.js';
import { provenance, type Provenance } from '../../../scripts/docs/provenance.js';
import { REPO_ROOT } from '../../../scripts/docs/sections.js';
import { formatTable, readResults, RESULTS_FILE, type FaultResult } from '../lib/results.js';

let run: { started: Provenance; files: string[]; filtered: boolean } | undefined;

export async function setup(project: TestProject): Promise<void> {
  rmSync(RESULTS_FILE, { force: true });
  const { testFiles } = await project.globTestFiles();
  run = {
    started: provenance(),
    files: testFiles.map((f) => relative(REPO_ROOT, f)).sort(),
    filtered: project.config.testNamePattern !== undefined,
  };
}

/** The fault files of the suite that recorded no row (all of them when tests were filtered by name). */
export function filesNotCovered(files: string[], results: FaultResult[], filtered: boolean): string[] {
  if (filtered) return files;
  const recorded = new Set(results.map((r) => r.file));
  return files.filter((f) => !recorded.has(f));
}

export async function teardown(): Promise<void> {
  const results = readResults();
  if (results.length === 0 || !run) return;
  console.log(`\nFault suite (${RESULTS_FILE}):\n${formatTable(results)}\n`);
  const missing = filesNotCovered(run.files, results, run.filtered);
  if (missing.length > 0) {
    console.log(`docs/faults.json kept: not a run of the whole suite (no rows from ${missing.join(', ')})`);
    return;
  }
  await writeFaultsRun({ ...run.started, files: run.files, results });
  const changed = await regenerate(['faults']);
  console.log(`docs/faults.json written; regenerated ${changed.join(', ')}`);
}
