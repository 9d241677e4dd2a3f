/**
 * Global setup of the fault suite, after the stack's: empties `test/faults/results.json`
 * at the start and prints the recovery table at the end.
 */
import { rmSync } from 'node:fs';
import { formatTable, readResults, RESULTS_FILE } from '../lib/results.js';

export function setup(): void {
  rmSync(RESULTS_FILE, { force: true });
}

export function teardown(): void {
  const results = readResults();
  if (results.length === 0) return;
  console.log(`\nFault suite (${RESULTS_FILE}):\n${formatTable(results)}\n`);
}
