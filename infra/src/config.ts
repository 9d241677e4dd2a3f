import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Versions this package runs; the poms under `infra/` pin the same ones. */
export const VERSIONS = Object.freeze({
  /** Apache Kafka, KRaft mode (`infra/kafka/pom.xml`). */
  kafka: '4.4.0',
  /** Apicurio Registry all-in-one archive (`infra/registry/pom.xml`). */
  registry: '3.3.3',
});

/** Where the local stack listens and keeps its state, read from the environment. */
export interface InfraConfig {
  /** Root of the repository (found from this file, never from the cwd). */
  readonly repoRoot: string;
  /** `infra/` inside the repository. */
  readonly infraDir: string;
  /** All state: data, logs, pid files, extracted archives. `FLEET_STATE_DIR`, @default `<repo>/.fleet` */
  readonly stateDir: string;
  /** Host every component binds to. @default 127.0.0.1 */
  readonly host: string;
  /** Broker (PLAINTEXT) port. `FLEET_KAFKA_PORT`, @default 9092 */
  readonly kafkaPort: number;
  /** KRaft controller port; clients never use it. `FLEET_KAFKA_CONTROLLER_PORT`, @default 9093 */
  readonly controllerPort: number;
  /** Registry HTTP port. `FLEET_REGISTRY_PORT`, @default 8081 */
  readonly registryPort: number;
  /** Registry health/metrics port (Quarkus management interface). `FLEET_REGISTRY_MANAGEMENT_PORT`, @default 9081 */
  readonly registryManagementPort: number;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got "${raw}"`);
  }
  return value;
}

/** Reads the infra configuration from `env`, defaulted for the local stack. */
export function loadInfraConfig(env: NodeJS.ProcessEnv = process.env): InfraConfig {
  const infraDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const repoRoot = dirname(infraDir);
  const stateDir = env.FLEET_STATE_DIR ? resolve(env.FLEET_STATE_DIR) : join(repoRoot, '.fleet');
  return Object.freeze({
    repoRoot,
    infraDir,
    stateDir,
    host: '127.0.0.1',
    kafkaPort: port(env, 'FLEET_KAFKA_PORT', 9092),
    controllerPort: port(env, 'FLEET_KAFKA_CONTROLLER_PORT', 9093),
    registryPort: port(env, 'FLEET_REGISTRY_PORT', 8081),
    registryManagementPort: port(env, 'FLEET_REGISTRY_MANAGEMENT_PORT', 9081),
  });
}

/** Files of one managed component under the state directory. */
export interface ComponentPaths {
  readonly pidFile: string;
  readonly logFile: string;
  readonly workDir: string;
}

/** Where a component keeps its pid file, log and working directory. */
export function componentPaths(config: InfraConfig, name: 'kafka' | 'registry'): ComponentPaths {
  return {
    pidFile: join(config.stateDir, `${name}.pid`),
    logFile: join(config.stateDir, 'logs', `${name}.log`),
    workDir: join(config.stateDir, name),
  };
}

/** A callback receiving human-readable progress lines. */
export type Progress = (line: string) => void;
