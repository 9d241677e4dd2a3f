import { FleetError } from '@fleet/contract';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Progress } from './config.js';
import { isAlive, sleep } from './process.js';

/**
 * Runs `fn` while holding an exclusive lock file, so two processes calling `ensureStack`
 * at once do not both start a broker. A lock whose owner pid no longer runs is stale and
 * is taken over.
 */
export async function withLock<T>(
  lockFile: string,
  fn: () => Promise<T>,
  onProgress?: Progress,
  timeoutMs = 15 * 60_000,
): Promise<T> {
  await mkdir(dirname(lockFile), { recursive: true });
  const started = Date.now();
  let lastReport = 0;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
      // Empty content can mean the owner is between open() and write(): give it a moment.
      if (!owner) await sleep(100);
      const again = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (again === owner || !again) await rm(lockFile, { force: true });
      continue;
    }
    const waited = Date.now() - started;
    if (waited > timeoutMs)
      throw new FleetError(
        'FLEET_INFRA_FAILED',
        `timed out waiting for ${lockFile} (held by pid ${owner}); if no other start of the stack runs, delete that file`,
      );
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      onProgress?.(`another process (pid ${owner}) is starting the stack; waiting … ${Math.round(waited / 1000)}s`);
    }
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}
