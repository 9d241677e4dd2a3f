import { createServer } from 'node:net';

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
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

/** Whether `http://127.0.0.1:<port>/readyz` answers 200. */
export async function isReady(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Waits until every port's /readyz answers 200; throws naming the ones that did not. */
export async function waitReady(
  ports: Record<string, number>,
  timeoutMs: number,
  onWait?: (pending: string[]) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      Object.entries(ports).map(async ([name, port]) => [name, await isReady(port)] as const),
    );
    const pending = states.filter(([, ok]) => !ok).map(([name]) => name);
    if (pending.length === 0) return;
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
