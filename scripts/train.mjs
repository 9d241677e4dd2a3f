#!/usr/bin/env node
// `npm run train`: trains the duration, cost and tip models (models/train/train.py).
// Creates models/train/.venv when missing, installs the pinned requirements when they
// changed since the last install, then runs the pipeline. Set FLEET_PYTHON to choose the
// interpreter (default: python3.11, else python3). Prints each model's test MAE.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const trainDir = join(root, 'models', 'train');
const venv = join(trainDir, '.venv');
const venvPython = join(venv, 'bin', 'python');
const requirements = join(trainDir, 'requirements.txt');
const stamp = join(venv, '.requirements.sha256');

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (res.error || res.status !== 0) {
    const why = res.error ? res.error.message : `exit code ${res.status}`;
    console.error(`train: \`${cmd} ${args.join(' ')}\` failed (${why})`);
    process.exit(1);
  }
}

function pickPython() {
  if (process.env.FLEET_PYTHON) return process.env.FLEET_PYTHON;
  const probe = spawnSync('python3.11', ['--version'], { stdio: 'ignore' });
  return probe.status === 0 ? 'python3.11' : 'python3';
}

if (!existsSync(venvPython)) {
  console.error(`train: creating ${venv}`);
  run(pickPython(), ['-m', 'venv', venv]);
}
const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
const installed = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (installed !== wanted) {
  console.error('train: installing the pinned requirements');
  run(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '-r', requirements]);
  writeFileSync(stamp, `${wanted}\n`);
}
run(venvPython, [join(trainDir, 'train.py')], {
  env: { ...process.env, PYTHONHASHSEED: '0', OMP_NUM_THREADS: '1' },
});
// The pipeline rewrites the metrics table of models/README.md; keep it in the repo's style.
run(
  process.execPath,
  [join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--write', join(root, 'models', 'README.md')],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
