#!/usr/bin/env node
// `npm run train -- [options]`: trains a new version of the duration, cost and tip models
// (models/train/train.py; its options, e.g. `--version 2.0.0 --models duration,cost`, are
// passed through: `npm run train -- --help` lists them). Creates models/train/.venv when
// missing, installs the pinned requirements when they changed since the last install, then
// runs the pipeline. Set FLEET_PYTHON to choose the interpreter (default: python3.11, else
// python3). Prints each model's test MAE and interval coverage.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTrainingVenv } from './python-venv.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const trainDir = join(root, 'models', 'train');

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (res.error || res.status !== 0) {
    const why = res.error ? res.error.message : `exit code ${res.status}`;
    console.error(`train: \`${cmd} ${args.join(' ')}\` failed (${why})`);
    process.exit(1);
  }
}

let venvPython;
try {
  venvPython = ensureTrainingVenv((line) => console.error(`train: ${line}`));
} catch (err) {
  console.error(`train: ${err.message}`);
  process.exit(1);
}
const args = process.argv.slice(2);
run(venvPython, [join(trainDir, 'train.py'), ...args], {
  env: { ...process.env, PYTHONHASHSEED: '0', OMP_NUM_THREADS: '1' },
});
if (args.includes('--help') || args.includes('-h')) process.exit(0);
// The pipeline rewrites the generated tables of models/README.md; keep it in the repo's style.
run(
  process.execPath,
  [join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--write', join(root, 'models', 'README.md')],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
