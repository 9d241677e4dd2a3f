/**
 * `npm test`'s three vitest runs, one after the other: the main suite (kafkajs), the
 * broker-touching tests on @platformatic/kafka, the fault suite. Where they would use the
 * local stack of `infra/`, it is started (and warmed up) once, held for the three, and
 * stopped at the end when this run started it: each run's global setup finds it running.
 * Where the environment names a broker, or a Docker engine answers (testcontainers), each
 * run's global setup chooses as it does alone.
 */
import { spawn } from 'node:child_process';
import { ensureStack } from '@fleet/infra';
import { dockerAnswers, releaseLocalStack } from '../test/setup/global-setup.js';

const RUNS: readonly string[][] = [
  ['vitest', 'run'],
  ['vitest', 'run', '--config', 'vitest.platformatic.config.ts'],
  ['vitest', 'run', '--config', 'vitest.faults.config.ts'],
];

let interrupted = false;

/** Runs `npx <args>`; resolves with its exit code (a signal's end counts as failure). */
function run(args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('npx', [...args], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  const shared =
    !(process.env.KAFKA_BROKERS && process.env.SCHEMA_REGISTRY_URL) && !(await dockerAnswers())
      ? await ensureStack({ onProgress: (line) => console.error(`[infra] ${line}`), hold: true })
      : undefined;
  // Ctrl-C reaches the vitest runs too (one process group): each stops; then the stack goes.
  const stop = () => void (interrupted = true);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let code = 0;
  try {
    for (const args of RUNS) {
      code = await run(args);
      if (code !== 0 || interrupted) break;
    }
  } finally {
    // FLEET_KEEP_STACK=1 keeps it running, as each run's teardown does.
    if (shared) await releaseLocalStack(process.env.FLEET_KEEP_STACK === '1' ? [] : shared.started);
  }
  return interrupted && code === 0 ? 130 : code;
}

process.exitCode = await main();
