import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliConfig } from '../config.js';
import { isAlive, launchService, stopProcess, type ServiceName } from '../launcher/index.js';

/** Where `fleet up` keeps one JSON file per running instance. */
export const runDir = (): string => join(cliConfig().stateDir, 'run');

/** A service instance started by `fleet up` or `fleet scale`. */
export interface Instance {
  service: ServiceName;
  index: number;
  pid: number;
  /** Port of /metrics, /healthz, /readyz. */
  port: number;
  logFile: string;
  startedAt: string;
}

const fileOf = (service: string, index: number): string => join(runDir(), `${service}-${index}.json`);

/** The live instances (files of dead ones are removed), sorted by service and index. */
export function listInstances(service?: ServiceName): Instance[] {
  const dir = runDir();
  mkdirSync(dir, { recursive: true });
  const out: Instance[] = [];
  for (const name of readdirSync(dir)) {
    if (!/^[a-z]+-\d+\.json$/.test(name)) continue;
    const instance = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Instance;
    if (!isAlive(instance.pid)) {
      rmSync(join(dir, name), { force: true });
      continue;
    }
    if (!service || instance.service === service) out.push(instance);
  }
  return out.sort((a, b) => a.service.localeCompare(b.service) || a.index - b.index);
}

/** Starts one detached instance of `service` with the lowest free index (on `port`, or a free one). */
export async function startInstance(
  service: ServiceName,
  env: Record<string, string>,
  port?: number,
): Promise<Instance> {
  const used = new Set(listInstances(service).map((i) => i.index));
  let index = 1;
  while (used.has(index)) index++;
  const logFile = join(cliConfig().stateDir, 'logs', `${service}-${index}.log`);
  const launched = await launchService(service, { name: `${service}-${index}`, env, logFile, detached: true, port });
  const instance: Instance = {
    service,
    index,
    pid: launched.pid,
    port: launched.port,
    logFile,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(fileOf(service, index), JSON.stringify(instance, null, 2));
  return instance;
}

/** Stops an instance gracefully (SIGTERM, then SIGKILL after the grace time) and forgets it. */
export async function stopInstance(instance: Instance, graceMs = 30_000): Promise<void> {
  await stopProcess(instance.pid, graceMs);
  rmSync(fileOf(instance.service, instance.index), { force: true });
}

/** What an instance's /readyz says; null when it does not answer. */
export async function probe(
  instance: Instance,
): Promise<{ ready: boolean; assignment: Record<string, number[]> } | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${instance.port}/readyz`, { signal: AbortSignal.timeout(1500) });
    const body = (await response.json()) as { ready: boolean; assignment?: Record<string, number[]> };
    return { ready: body.ready, assignment: body.assignment ?? {} };
  } catch {
    return null;
  }
}
