import { FleetError } from '@fleet/contract';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { componentPaths, VERSIONS, type InfraConfig, type Progress } from './config.js';
import { runMaven } from './maven.js';
import { httpStatus, waitFor } from './probe.js';
import { runningPid, spawnDetached, stopUnanswering, tailLog } from './process.js';
import { findRegistryJava } from './toolchain.js';

/** Found in the registry's command line; tells our registry from a reused pid. */
export const REGISTRY_MARKER = 'quarkus-run.jar';

/** Base URL of the registry (without the API path). */
export function registryBaseUrl(config: InfraConfig): string {
  return `http://${config.host}:${config.registryPort}`;
}

/** The Confluent-compatible API that serializers talk to. */
export function registryUrl(config: InfraConfig): string {
  return `${registryBaseUrl(config)}/apis/ccompat/v7`;
}

/** True when a Confluent-compatible registry answers `GET /subjects` on the configured port. */
export async function registryAnswers(config: InfraConfig, timeoutMs = 2000): Promise<boolean> {
  return (await httpStatus(`${registryUrl(config)}/subjects`, timeoutMs)) === 200;
}

/** True when our registry's readiness check (Quarkus management port) says UP. */
async function registryReady(config: InfraConfig): Promise<boolean> {
  const health = await httpStatus(`http://${config.host}:${config.registryManagementPort}/health/ready`, 2000);
  return health === 200 && (await registryAnswers(config));
}

/**
 * Unpacks the all-in-one archive with Maven once; resolves to the folder holding
 * quarkus-run.jar. Unpacked beside it and renamed once whole, so an unpack cut short
 * (Ctrl-C, a full disk) is done again, never taken for a complete one.
 */
async function fetchRegistry(config: InfraConfig, onProgress?: Progress): Promise<string> {
  const dir = join(config.stateDir, 'registry', VERSIONS.registry);
  if (existsSync(join(dir, 'quarkus-run.jar'))) return dir;
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await runMaven({
    pom: join(config.infraDir, 'registry', 'pom.xml'),
    args: ['-q', 'dependency:unpack', `-Dapicurio.version=${VERSIONS.registry}`, `-Dfleet.registry.dir=${partial}`],
    what: `Apicurio Registry ${VERSIONS.registry}`,
    onProgress,
  });
  if (!existsSync(join(partial, 'quarkus-run.jar'))) {
    throw new FleetError(
      'FLEET_INFRA_FAILED',
      `the Apicurio archive was unpacked into ${partial} but holds no quarkus-run.jar`,
    );
  }
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return dir;
}

/** Where the registry keeps its schemas: an H2 database file under the state directory. */
export function registryDataDir(config: InfraConfig): string {
  return join(config.stateDir, 'registry-data');
}

/**
 * The registry's settings. Storage is H2 in a file under the state directory rather than
 * the default in-memory H2: Kafka keeps its records across restarts, so the schema ids
 * those records carry must survive too (a fresh registry would hand out the same ids to
 * other schemas). The ccompat flags are spelled out although they equal 3.3's defaults, because
 * the wire format depends on them: ids must be global content ids (what Confluent's
 * serializers embed and later fetch with GET /schemas/ids/{id}), and lookups should match
 * on the canonical form so a re-formatted but equal schema finds its id.
 */
function registryProperties(config: InfraConfig, tmp: string): string[] {
  return [
    `-Dquarkus.http.host=${config.host}`,
    `-Dquarkus.http.port=${config.registryPort}`,
    // health and metrics live on Quarkus' management interface (default 0.0.0.0:9000)
    `-Dquarkus.management.host=${config.host}`,
    `-Dquarkus.management.port=${config.registryManagementPort}`,
    '-Dapicurio.ccompat.legacy-id-mode.enabled=false',
    '-Dapicurio.ccompat.use-canonical-hash=true',
    '-Dapicurio.storage.kind=sql',
    '-Dapicurio.storage.sql.kind=h2',
    `-Dapicurio.datasource.url=jdbc:h2:file:${join(registryDataDir(config), 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
    '-Dapicurio.datasource.username=sa',
    '-Dapicurio.datasource.password=sa',
    `-Djava.io.tmpdir=${tmp}`,
  ];
}

/** Fetches (cached), starts the registry detached with a JDK 21+, and waits until it is ready. */
export async function startRegistry(config: InfraConfig, onProgress?: Progress): Promise<number> {
  const java = findRegistryJava();
  const dir = await fetchRegistry(config, onProgress);
  const paths = componentPaths(config, 'registry');
  const tmp = join(config.stateDir, 'tmp');
  await mkdir(tmp, { recursive: true });
  onProgress?.(
    `starting Apicurio Registry ${VERSIONS.registry} (Java ${java.major}) on ${registryBaseUrl(config)}, log ${paths.logFile}`,
  );
  const pid = await spawnDetached({
    bin: java.bin,
    args: ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', ...registryProperties(config, tmp), '-jar', REGISTRY_MARKER],
    cwd: dir,
    paths,
  });
  await waitFor(() => registryReady(config), {
    what: `the schema registry on ${registryBaseUrl(config)}`,
    timeoutMs: 120_000,
    onProgress,
    failure: async () =>
      (await runningPid(paths.pidFile, REGISTRY_MARKER)) === undefined
        ? `the registry exited; last lines of ${paths.logFile}:\n${await tailLog(paths.logFile)}`
        : undefined,
    onTimeout: () => stopUnanswering('registry', paths, REGISTRY_MARKER),
  });
  return pid;
}
