/**
 * `npm run docs:demo [-- DEMO OPTIONS]`: runs the real demo (`fleet demo --json`, which
 * starts the stack and the fleet unless they run), records the run with its date, commit
 * and machine in docs/demo-run.json, and regenerates the README's demo section from it.
 * Options are passed to the demo (`npm run docs:demo -- --rides 5000`).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSummary } from '@fleet/backend';
import { DEMO_JSON, type DemoRun } from './demo.js';
import { regenerate } from './generate.js';
import { provenance } from './provenance.js';
import { prettierFormat, REPO_ROOT } from './sections.js';

/** Runs `fleet demo --json ...args`, progress on this terminal, and returns its stdout and exit code. */
function runDemo(args: string[]): Promise<{ stdout: string; code: number }> {
  const bin = join(REPO_ROOT, 'packages', 'cli', 'bin', 'fleet.mjs');
  const child = spawn(process.execPath, [bin, 'demo', '--json', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ stdout, code: code ?? (signal ? 128 : 1) }));
  });
}

async function main(args: string[]): Promise<number> {
  const started = provenance();
  console.error(`recording \`fleet demo --json ${args.join(' ')}\` at commit ${started.commit} ...`);
  const { stdout, code } = await runDemo(args);
  let summary: RunSummary;
  try {
    summary = JSON.parse(stdout) as RunSummary;
  } catch {
    console.error(`the demo printed no JSON summary (exit code ${code}); nothing recorded:\n${stdout}`);
    return 1;
  }
  const run: DemoRun = { ...started, command: ['npx fleet demo --json', ...args].join(' '), exitCode: code, summary };
  const path = join(REPO_ROOT, DEMO_JSON);
  await writeFile(path, await prettierFormat(JSON.stringify(run), path));
  const changed = await regenerate(['demo']);
  console.error(`recorded ${DEMO_JSON}; regenerated ${changed.join(', ') || 'nothing (unchanged)'}`);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
