/** Starting fleet services as processes (the way `fleet up` runs them) and metering them. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, spawnService, stopProcess, waitReady } from '../../packages/cli/src/procs/spawn.js';
import type { ServiceName } from '../../packages/cli/src/procs/services.js';
import { REPO_ROOT } from './context.js';
import { memory, workerPid } from './procstat.js';

/** A service process started by the bench. */
export interface BenchProcess {
  readonly name: string;
  readonly service: ServiceName;
  readonly child: ChildProcess;
  readonly port: number;
  /** The node process that runs the service (under the tsx launcher). */
  pid: number;
  readonly logFile: string;
}

/** Starts `service` as a child process with `env` on top of this process's environment. */
export async function startService(
  service: ServiceName,
  name: string,
  env: Record<string, string>,
): Promise<BenchProcess> {
  const port = await freePort();
  const logFile = join(REPO_ROOT, '.fleet', 'logs', `bench-${name}.log`);
  const child = spawnService(service, {
    env: { LOG_LEVEL: 'info', ...env, METRICS_PORT: String(port) },
    logFile,
  });
  if (!child.pid) throw new Error(`could not start ${service}`);
  return { name, service, child, port, pid: child.pid, logFile };
}

/**
 * Waits until the service's worker process exists (tsx starts it under the launcher), so
 * its CPU can be metered; resolves to its pid.
 */
export async function resolveWorker(proc: BenchProcess, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = workerPid(proc.child.pid!);
    if (pid !== proc.child.pid) {
      proc.pid = pid;
      return pid;
    }
    if (Date.now() > deadline) throw new Error(`${proc.name}: no worker process under pid ${proc.child.pid}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits for /readyz of all `procs` and resolves their worker pids. */
export async function waitAllReady(procs: BenchProcess[], timeoutMs = 120_000): Promise<void> {
  await Promise.all(procs.map((p) => resolveWorker(p)));
  await waitReady(Object.fromEntries(procs.map((p) => [p.name, p.port])), timeoutMs);
}

/** Peak RSS of the service's worker process in MiB (read before it stops). */
export function peakRssMb(proc: BenchProcess): number {
  return memory(proc.pid)?.peakRssMb ?? Number.NaN;
}

/** Stops the processes gracefully (SIGTERM to the launcher, which forwards it). */
export async function stopAll(procs: BenchProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => (p.child.pid ? stopProcess(p.child.pid, 30_000) : undefined)));
}
