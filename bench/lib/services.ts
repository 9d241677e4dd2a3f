/** Starting fleet services as processes (the way `fleet up` runs them) and metering them. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, spawnService, stopProcess, waitReady } from '../../packages/cli/src/procs/spawn.js';
import type { ServiceName } from '../../packages/cli/src/procs/services.js';
import { REPO_ROOT } from './context.js';
import { memory } from './procstat.js';

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

/** Waits for /readyz of all `procs` (each pid is the service's own node process). */
export async function waitAllReady(procs: BenchProcess[], timeoutMs = 120_000): Promise<void> {
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
