import { isProcessWith } from '@fleet/infra';
import { createServer } from 'node:net';

/** Ports this process handed out: a service binds its port only once started, so until then another could be given it. */
const handedOut = new Set<number>();

function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A TCP port that was free a moment ago and that this process has not handed out before:
 * services launched one after the other each bind their port only seconds later.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await unusedPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** Where a started process answers `/readyz`: its port, and its pid (`/readyz` names the pid that answers). */
export interface ReadyTarget {
  port: number;
  pid: number;
}

/** What a process's `/readyz` answered: whether with a 2xx status, its readiness, its partitions. */
export interface ReadyAnswer {
  ok: boolean;
  ready: boolean;
  assignment: Record<string, number[]>;
}

/**
 * What `http://127.0.0.1:<port>/readyz` answers from the process `pid`; null when nothing
 * answers in `timeoutMs`, or when another process (which holds the port the target was
 * given) does.
 */
export async function readyzOf(target: ReadyTarget, timeoutMs: number): Promise<ReadyAnswer | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${target.port}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json()) as { ready?: unknown; pid?: unknown; assignment?: Record<string, number[]> };
    if (body.pid !== target.pid) return null;
    return { ok: response.ok, ready: body.ready === true, assignment: body.assignment ?? {} };
  } catch {
    return null;
  }
}

/**
 * Whether `http://127.0.0.1:<port>/readyz` answers 200 from the process `pid`; an answer
 * from another process (which holds the port the target was given) is not ready.
 */
export async function isReady(target: ReadyTarget): Promise<boolean> {
  return (await readyzOf(target, 1000))?.ok === true;
}

/** Waits until every target's /readyz answers 200 from its own pid; throws naming the ones that did not. */
export async function waitReady(
  targets: Record<string, ReadyTarget>,
  timeoutMs: number,
  onWait?: (pending: string[]) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      Object.entries(targets).map(async ([name, target]) => [name, await isReady(target)] as const),
    );
    const pending = states.filter(([, ok]) => !ok).map(([name]) => name);
    if (pending.length === 0) return;
    const gone = pending.filter((name) => !isAlive(targets[name]!.pid));
    if (gone.length > 0)
      throw new Error(`exited before it was ready: ${gone.join(', ')} (see their logs under .fleet/logs/)`);
    if (Date.now() > deadline)
      throw new Error(
        `not ready after ${timeoutMs / 1000} s: ${pending.join(', ')} (see their logs under .fleet/logs/)`,
      );
    onWait?.(pending);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Sends SIGTERM and waits for the exit; SIGKILL after `graceMs`. */
export async function stopProcess(pid: number, graceMs = 25_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether a process with `pid` exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is a process running `entry` (a service's entry file): after a reboot or a
 * crash, a pid recorded in a file may name an unrelated process of the same user, which
 * must not be counted as an instance, let alone stopped. Where there is no /proc (macOS),
 * the pid alone is what can be known. The check infra makes of its broker's pid file.
 */
export function isProcessOf(pid: number, entry: string): boolean {
  return isProcessWith(pid, entry);
}
