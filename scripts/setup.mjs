#!/usr/bin/env node
// Makes a fresh clone ready to run: installs the npm packages when node_modules is missing
// or older than package-lock.json, and for `npm test` (and `npm run setup`) Debian's chromium
// when it is missing, for the dashboard's browser test. The broker and registry are fetched
// and started by the commands that need them (the test setup, `fleet demo`, `fleet infra up`).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = `${root}node_modules/.fleet-installed`;
const lock = `${root}package-lock.json`;

const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  console.error(`fleet needs Node.js 20 or newer; this is ${process.version}. Install Node.js 20 LTS and retry.`);
  process.exit(1);
}

const fresh = existsSync(stamp) && statSync(stamp).mtimeMs >= statSync(lock).mtimeMs;
if (!fresh) {
  console.error('setup: installing npm packages (npm ci) ...');
  // onnxruntime-node's install script only downloads its optional CUDA binaries (the CPU ones
  // ship in the package). npm 11's allowScripts (package.json) denies it; older npm runs it,
  // and ONNXRUNTIME_NODE_INSTALL=skip, the flag it documents, makes it a no-op.
  // --loglevel=error: the one warning left is EBADENGINE from @platformatic/kafka's helper
  // packages (@platformatic/dynamic-buffer, wasm-utils), which declare Node 22.19 while
  // @platformatic/kafka 1.x itself supports Node 20.19.4 and passes the suite here; there is
  // no release of them without it. Errors still show.
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  writeFileSync(stamp, new Date().toISOString());
}

// The dashboard's browser test (packages/cli/test/dashboard.test.ts) drives Debian's chromium
// through playwright-core, which downloads no browser. CI may start on a fresh machine, as root.
const CHROMIUM = '/usr/bin/chromium';
const needsBrowser = ['test', 'setup'].includes(process.env.npm_lifecycle_event ?? '');
if (needsBrowser && !existsSync(CHROMIUM)) {
  const aptGet = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (process.getuid?.() === 0 && aptGet) {
    console.error('setup: installing chromium (apt-get) for the dashboard browser test ...');
    const apt = { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
    execFileSync('apt-get', ['update', '-q'], apt);
    execFileSync('apt-get', ['install', '-y', '-q', 'chromium'], apt);
  } else {
    console.error(
      `setup: ${CHROMIUM} is missing and cannot be installed here (root and apt-get needed): ` +
        "install Debian's chromium (sudo apt-get install -y chromium); the dashboard browser test needs it.",
    );
  }
}
