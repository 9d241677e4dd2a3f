// The project's Python environment, models/train/.venv (Python 3.11): created when missing,
// and each pinned requirements file installed into it when the file changed since its last
// install (a sha256 stamp per file inside the venv). `npm run train` installs the training
// pipeline's requirements, the bench those of its Python peer (bench/peer/). A tool whose
// pins clash with the training's (the test suite's standard inference client) gets a venv of
// its own in another directory, made the same way. FLEET_PYTHON chooses the interpreter that
// creates a venv (default: python3.11, else python3).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The venv's directory. */
export const VENV = join(root, 'models', 'train', '.venv');
/** The training pipeline's pinned requirements. */
export const TRAIN_REQUIREMENTS = join(root, 'models', 'train', 'requirements.txt');

function run(cmd, args) {
  // pip's progress goes to stderr: stdout stays the caller's (the bench prints its table there).
  const res = spawnSync(cmd, args, { stdio: ['ignore', 2, 2], cwd: root });
  if (res.error || res.status !== 0) {
    const why = res.error ? res.error.message : `exit code ${res.status}`;
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed (${why})`);
  }
}

function pickPython() {
  if (process.env.FLEET_PYTHON) return process.env.FLEET_PYTHON;
  const probe = spawnSync('python3.11', ['--version'], { stdio: 'ignore' });
  return probe.status === 0 ? 'python3.11' : 'python3';
}

/**
 * Creates the venv `dir` (default: the project's, VENV) when missing and installs
 * `requirements` when it changed since the install recorded in the venv's `stampName`; a
 * no-op otherwise. Returns the interpreter. Throws when an install step fails.
 */
export function ensureVenv(requirements, stampName, say = (line) => console.error(line), dir = VENV) {
  const python = join(dir, 'bin', 'python');
  if (!existsSync(python)) {
    say(`creating ${dir}`);
    run(pickPython(), ['-m', 'venv', dir]);
  }
  const stamp = join(dir, stampName);
  const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const installed = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  if (installed !== wanted) {
    say(`installing the pinned ${requirements.slice(root.length + 1)}`);
    run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-r', requirements]);
    writeFileSync(stamp, `${wanted}\n`);
  }
  return python;
}

/**
 * The project's venv with the training pipeline's pinned requirements installed
 * (models/train/requirements.txt): what `npm run train` runs in, and what a tool running
 * the training's feature code (the online bench's Flask peer) installs its own pins beside.
 */
export function ensureTrainingVenv(say = (line) => console.error(line)) {
  return ensureVenv(TRAIN_REQUIREMENTS, '.requirements.sha256', say);
}
