import { join, resolve } from 'node:path';
import { REPO_ROOT } from '@fleet/contract';
import { int, loadConfig, str } from '@fleet/core/config';

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
  /** The secure broker's SASL_SSL port (`fleet infra up --secure`). `FLEET_SECURE_KAFKA_PORT`, @default 9094 */
  readonly secureKafkaPort: number;
  /** The secure broker's own KRaft controller port (TLS with client certificates). `FLEET_SECURE_KAFKA_CONTROLLER_PORT`, @default 9095 */
  readonly secureControllerPort: number;
  /**
   * Longest a broker this stack starts is driven with warm-up traffic before it counts as
   * started (0: not at all). `FLEET_BROKER_WARM_UP_S`, @default 40
   */
  readonly brokerWarmUpS: number;
}

const port = (env: string, doc: string, def: number) => int(env, doc, def, 1, 65535);

/** The environment the local stack reads (parsed with the one config loader of the fleet). */
export const infraEnv = {
  stateDir: str('FLEET_STATE_DIR', 'Where the local stack keeps data, logs and pid files', join(REPO_ROOT, '.fleet')),
  kafkaPort: port('FLEET_KAFKA_PORT', 'Port of the local broker (PLAINTEXT)', 9092),
  controllerPort: port('FLEET_KAFKA_CONTROLLER_PORT', 'Port of the local KRaft controller', 9093),
  registryPort: port('FLEET_REGISTRY_PORT', 'Port of the local schema registry', 8081),
  registryManagementPort: port(
    'FLEET_REGISTRY_MANAGEMENT_PORT',
    'Port of the local registry health/metrics interface',
    9081,
  ),
  secureKafkaPort: port('FLEET_SECURE_KAFKA_PORT', 'Port of the local secure broker (SASL_SSL, `--secure`)', 9094),
  secureControllerPort: port(
    'FLEET_SECURE_KAFKA_CONTROLLER_PORT',
    "Port of the local secure broker's KRaft controller (TLS with client certificates)",
    9095,
  ),
  brokerWarmUpS: int(
    'FLEET_BROKER_WARM_UP_S',
    'Longest a broker the local stack starts runs warm-up traffic before it counts as started (0: none)',
    40,
    0,
    600,
  ),
} as const;

/**
 * Reads the infra configuration from `env`, defaulted for the local stack.
 * @throws FleetError FLEET_CONFIG_INVALID naming the bad variable.
 */
export function loadInfraConfig(env: NodeJS.ProcessEnv = process.env): InfraConfig {
  const config = loadConfig(infraEnv, env);
  return Object.freeze({
    repoRoot: REPO_ROOT,
    infraDir: join(REPO_ROOT, 'infra'),
    stateDir: resolve(config.stateDir),
    host: '127.0.0.1',
    kafkaPort: config.kafkaPort,
    controllerPort: config.controllerPort,
    registryPort: config.registryPort,
    registryManagementPort: config.registryManagementPort,
    secureKafkaPort: config.secureKafkaPort,
    secureControllerPort: config.secureControllerPort,
    brokerWarmUpS: config.brokerWarmUpS,
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
