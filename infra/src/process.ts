import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FleetError } from '@fleet/contract';
import type { ComponentPaths } from './config.js';

/** What to run for one component, detached from the calling process. */
export interface DetachedCommand {
  readonly bin: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly paths: ComponentPaths;
}

/** A log file larger than this when its component starts is moved to `<log>.1` first. */
export const LOG_ROTATE_BYTES = 64 * 1024 * 1024;

/**
 * Moves `logFile` to `<logFile>.1` (replacing the one before) when it holds more than
 * `maxBytes`: each start appends to the log, and a stack started by every test run for
 * months grew its broker log to gigabytes on the machine this was written on.
 * Resolves to whether it moved the file.
 */
export function rotateLog(logFile: string, maxBytes = LOG_ROTATE_BYTES): boolean {
  let size: number;
  try {
    size = statSync(logFile).size;
  } catch {
    return false; // no log yet
  }
  if (size <= maxBytes) return false;
  renameSync(logFile, `${logFile}.1`);
  return true;
}

/**
 * Starts a process in its own session (so it outlives the caller and ignores its signals),
 * appends its output to the log file (rotated first, {@link rotateLog}) and records its
 * pid. Resolves to the pid.
 */
export async function spawnDetached(cmd: DetachedCommand): Promise<number> {
  mkdirSync(dirname(cmd.paths.logFile), { recursive: true });
  rotateLog(cmd.paths.logFile);
  const fd = openSync(cmd.paths.logFile, 'a');
  try {
    const child = spawn(cmd.bin, [...cmd.args], {
      cwd: cmd.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid as number));
    });
    child.unref();
    await writeFile(cmd.paths.pidFile, `${pid}\n`);
    return pid;
  } finally {
    closeSync(fd);
  }
}

/** True when a process with this pid exists (and, where /proc tells, its command line has `marker`). */
export function isAlive(pid: number, marker?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!marker) return true;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // a zombie has an empty command line: it is gone for our purposes
    return cmdline.includes(marker);
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** The pid recorded in a pid file, or undefined. */
export async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid from the pid file when that process still runs, else undefined. */
export async function runningPid(pidFile: string, marker: string): Promise<number | undefined> {
  const pid = await readPid(pidFile);
  return pid !== undefined && isAlive(pid, marker) ? pid : undefined;
}

/**
 * Stops the process in the pid file: SIGTERM, then SIGKILL after `graceMs`.
 * Resolves to true when something was stopped. Removes the pid file either way.
 */
export async function stopPid(pidFile: string, marker: string, graceMs = 30_000): Promise<boolean> {
  const pid = await runningPid(pidFile, marker);
  if (pid !== undefined) {
    signal(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid, marker) && Date.now() < deadline) await sleep(200);
    if (isAlive(pid, marker)) {
      signal(pid, 'SIGKILL');
      const killed = Date.now() + 10_000;
      while (isAlive(pid, marker)) {
        if (Date.now() > killed)
          throw new FleetError('FLEET_INFRA_FAILED', `pid ${pid} is still there 10 s after SIGKILL; see ps -p ${pid}`);
        await sleep(100);
      }
    }
  }
  await rm(pidFile, { force: true });
  return pid !== undefined;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    // ESRCH: already gone. EPERM: another user's process (the stack started as root, say).
    if ((err as NodeJS.ErrnoException).code === 'EPERM') {
      throw new FleetError(
        'FLEET_INFRA_FAILED',
        `pid ${pid} belongs to another user and cannot be stopped from here; stop it as that user`,
      );
    }
  }
}

/** The last `lines` lines of a log file, for error messages. */
export async function tailLog(logFile: string, lines = 25): Promise<string> {
  try {
    return (await readFile(logFile, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Stops a component that started but never answered (left running, every later start
 * would wait for it again) and says so, with its log's last lines and what to try.
 */
export async function stopUnanswering(
  what: string,
  paths: { pidFile: string; logFile: string },
  marker: string,
  reset = 'npx fleet infra reset',
): Promise<string> {
  await stopPid(paths.pidFile, marker, 10_000);
  return (
    `stopped the ${what}, which never answered; last lines of ${paths.logFile}:\n${await tailLog(paths.logFile)}\n` +
    `If it fails again, ${reset} starts from empty data.`
  );
}
