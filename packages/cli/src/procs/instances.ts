import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { currentModelVersion, isModelName } from '@fleet/contract';
import { cliConfig } from '../config.js';
import { modelsDir } from '../lifecycle/model-args.js';
import { writeWhole } from './write-whole.js';
import {
  isProcessOf,
  launchService,
  readyzOf,
  SERVICE_ENTRIES,
  stopProcess,
  type ServiceName,
} from '../launcher/index.js';

/** Where `fleet up` keeps one JSON file per running instance. */
export const runDir = (): string => join(cliConfig().stateDir, 'run');

/**
 * What an instance does: `live` instances make the fleet's decisions (`fleet up`, `fleet
 * scale`, `fleet promote`), a `shadow` runs another model version beside them in a group
 * of its own, its predictions marked as shadow (`fleet shadow`).
 */
export type InstanceRole = 'live' | 'shadow';

/**
 * The variables that make a model service run `version` of the models directory the CLI
 * uses in `role`, whatever this shell exports: a MODEL_DIR or MODEL_VERSION left over
 * would run another version than the one recorded, a SHADOW=true left over would make a
 * live instance's predictions ignored by the decision service.
 */
export const modelEnv = (version: string, role: InstanceRole): Record<string, string> => ({
  MODEL_VERSION: version,
  MODEL_DIR: '',
  SHADOW: String(role === 'shadow'),
});

/** A service instance started by `fleet up`, `fleet scale`, `fleet promote` or `fleet shadow`. */
export interface Instance {
  service: ServiceName;
  role: InstanceRole;
  /** The model version it was started with (MODEL_VERSION), when one was named. */
  version?: string;
  index: number;
  pid: number;
  /** Port of /metrics, /healthz, /readyz. */
  port: number;
  logFile: string;
  startedAt: string;
}

/** `duration-2` for a live instance, `duration-shadow-1` for a shadow. */
export const instanceName = (i: Pick<Instance, 'service' | 'role' | 'index'>): string =>
  i.role === 'shadow' ? `${i.service}-shadow-${i.index}` : `${i.service}-${i.index}`;

const fileOf = (i: Pick<Instance, 'service' | 'role' | 'index'>): string => join(runDir(), `${instanceName(i)}.json`);

/**
 * The running instances of a role (`all`: both), sorted by service and index. The files of
 * instances gone are removed: of a pid no longer alive or now another process's (after a
 * reboot, say), and files that cannot be read as an instance (said on stderr).
 */
export function listInstances(service?: ServiceName, role: InstanceRole | 'all' = 'live'): Instance[] {
  const dir = runDir();
  mkdirSync(dir, { recursive: true });
  const out: Instance[] = [];
  for (const name of readdirSync(dir)) {
    if (!/^[a-z]+-(shadow-)?\d+\.json$/.test(name)) continue;
    const instance = readInstance(join(dir, name));
    if (!instance || !isProcessOf(instance.pid, SERVICE_ENTRIES[instance.service])) {
      rmSync(join(dir, name), { force: true });
      continue;
    }
    if ((!service || instance.service === service) && (role === 'all' || instance.role === role)) out.push(instance);
  }
  return out.sort((a, b) => a.service.localeCompare(b.service) || a.role.localeCompare(b.role) || a.index - b.index);
}

function readInstance(file: string): Instance | undefined {
  try {
    const instance = JSON.parse(readFileSync(file, 'utf8')) as Instance;
    if (Object.hasOwn(SERVICE_ENTRIES, instance.service) && Number.isInteger(instance.pid)) {
      instance.role ??= 'live';
      return instance;
    }
  } catch {
    // reported below
  }
  console.error(`fleet: ${file} is not an instance record; forgotten`);
  return undefined;
}

/** Options of {@link startInstance}. */
export interface StartOptions {
  /** @default a free one */
  port?: number;
  /** @default live */
  role?: InstanceRole;
  /** The model version it runs (its MODEL_VERSION), recorded for `fleet status`. */
  version?: string;
}

/**
 * Starts one detached instance of `service` with the lowest free index of its role. A model
 * service runs the version it is recorded with ({@link modelEnv}).
 */
export async function startInstance(
  service: ServiceName,
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<Instance> {
  const role = options.role ?? 'live';
  const version = options.version ?? (isModelName(service) ? currentModelVersion(service, modelsDir()) : undefined);
  const used = new Set(listInstances(service, role).map((i) => i.index));
  let index = 1;
  while (used.has(index)) index++;
  const name = instanceName({ service, role, index });
  const logFile = join(cliConfig().stateDir, 'logs', `${name}.log`);
  const launched = await launchService(service, {
    name,
    env: isModelName(service) && version !== undefined ? { ...env, ...modelEnv(version, role) } : env,
    logFile,
    detached: true,
    port: options.port,
  });
  const instance: Instance = {
    service,
    role,
    ...(version !== undefined && { version }),
    index,
    pid: launched.pid,
    port: launched.port,
    logFile,
    startedAt: new Date().toISOString(),
  };
  writeWhole(fileOf(instance), JSON.stringify(instance, null, 2));
  return instance;
}

/** Stops an instance gracefully (SIGTERM, then SIGKILL after the grace time) and forgets it. */
export async function stopInstance(instance: Instance, graceMs = 30_000): Promise<void> {
  await stopProcess(instance.pid, graceMs);
  rmSync(fileOf(instance), { force: true });
}

/**
 * What an instance's /readyz says; null when it does not answer, or when another process
 * answers on its port (every fleet process names its pid there, as the launcher checks).
 */
export async function probe(
  instance: Instance,
): Promise<{ ready: boolean; assignment: Record<string, number[]> } | null> {
  const answer = await readyzOf(instance, 1500);
  return answer && { ready: answer.ready, assignment: answer.assignment };
}
