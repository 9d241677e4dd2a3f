import { FleetError } from '@fleet/contract';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from './config.js';
import { findMaven } from './toolchain.js';

/** Options of {@link runMaven}. */
export interface MavenRun {
  /** The pom to run against. */
  readonly pom: string;
  /** Goal and `-D` arguments. */
  readonly args: readonly string[];
  /** What is being fetched, for progress lines ("Kafka 4.4.0"). */
  readonly what: string;
  readonly onProgress?: Progress;
  /** @default 600000 */
  readonly timeoutMs?: number;
}

/**
 * Runs Maven in batch mode and reports a progress line every few seconds with the number
 * of artifacts downloaded so far. Rejects with the tail of Maven's output on failure.
 */
export function runMaven(run: MavenRun): Promise<void> {
  const mvn = findMaven();
  const started = Date.now();
  const onProgress = run.onProgress ?? (() => {});
  onProgress(`fetching ${run.what} with Maven (cached after the first run)`);
  return new Promise((resolve, reject) => {
    const child = spawn(mvn, ['-B', '-Dstyle.color=never', '-f', run.pom, ...run.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let downloads = 0;
    const tail: string[] = [];
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.startsWith('Downloaded from')) downloads += 1;
        if (line.trim()) tail.push(line);
      }
      tail.splice(0, Math.max(0, tail.length - 40));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const ticker = setInterval(() => {
      const s = Math.round((Date.now() - started) / 1000);
      onProgress(`fetching ${run.what} with Maven … ${s}s, ${downloads} files downloaded`);
    }, 5000);
    const timer = setTimeout(() => child.kill('SIGTERM'), run.timeoutMs ?? 600_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      clearTimeout(timer);
      reject(new FleetError('FLEET_INFRA_FAILED', `could not run Maven (${mvn}): ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearInterval(ticker);
      clearTimeout(timer);
      if (code === 0) return resolve();
      const why = signal ? `was killed (${signal})` : `exited with ${code}`;
      reject(new FleetError('FLEET_INFRA_FAILED', `Maven ${why} while fetching ${run.what}:\n${tail.join('\n')}`));
    });
  });
}

/**
 * The runtime classpath of `pom`, resolved by Maven once and cached in `cacheFile`'s folder
 * under a name keyed by the pom's hash; resolved again when a cached jar has gone.
 */
export async function cachedClasspath(options: {
  pom: string;
  /** Folder of the cache file. */
  cacheDir: string;
  /** Cache file name prefix, e.g. `classpath-4.4.0`; the pom's hash is appended. */
  cacheName: string;
  what: string;
  onProgress?: Progress;
}): Promise<string> {
  const hash = createHash('sha256')
    .update(await readFile(options.pom))
    .digest('hex')
    .slice(0, 12);
  const cache = join(options.cacheDir, `${options.cacheName}-${hash}.txt`);
  const cached = await readFile(cache, 'utf8').catch(() => undefined);
  if (cached && cached.split(':').every((jar) => existsSync(jar))) return cached.trim();
  await mkdir(options.cacheDir, { recursive: true });
  await runMaven({
    pom: options.pom,
    args: ['-q', 'dependency:build-classpath', `-Dmdep.outputFile=${cache}`],
    what: options.what,
    onProgress: options.onProgress,
  });
  return (await readFile(cache, 'utf8')).trim();
}
