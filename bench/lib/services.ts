/** Starting fleet services as processes (the way `fleet up` runs them) and metering them. */
import { join } from 'node:path';
import { launchService, type LaunchedService, type ServiceName } from '@fleet/cli/launcher';
import { REPO_ROOT } from './context.js';
import { memory } from './procstat.js';

/** A service process started by the bench. */
export type BenchProcess = LaunchedService;

/** Starts `service` as a child process with `env` on top of this process's environment. */
export async function startService(
  service: ServiceName,
  name: string,
  env: Record<string, string>,
): Promise<BenchProcess> {
  return launchService(service, {
    name,
    env: { LOG_LEVEL: 'info', ...env },
    logFile: join(REPO_ROOT, '.fleet', 'logs', `bench-${name}.log`),
  });
}

/** Waits for /readyz of all `procs`. */
export async function waitAllReady(procs: BenchProcess[], timeoutMs = 120_000): Promise<void> {
  await Promise.all(procs.map((p) => p.waitReady(timeoutMs)));
}

/** Peak RSS of the service's process in MiB (read before it stops). */
export function peakRssMb(proc: BenchProcess): number {
  return memory(proc.pid)?.peakRssMb ?? Number.NaN;
}

/** Stops the processes gracefully (SIGTERM, SIGKILL after 30 s). */
export async function stopAll(procs: BenchProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop(30_000)));
}
