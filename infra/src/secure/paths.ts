import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentPaths, InfraConfig } from '../config.js';

/** Files of the secure broker, all under `<state>/secure/` (owner-only: 0700 folders, 0600 files). */
export interface SecurePaths extends ComponentPaths {
  /** The folder itself. */
  readonly dir: string;
  /** server.properties: holds the admin's password for the broker's own connections. */
  readonly propsFile: string;
  readonly dataDir: string;
  /** What the data directory was formatted with (version, ports, users). */
  readonly formattedFile: string;
  /** Every principal's SCRAM password, JSON (read by the tests and `fleet init --secure`). */
  readonly credentialsFile: string;
  /** The CA and the broker's key and certificate. */
  readonly tlsDir: string;
  /** The CA certificate (PEM) clients trust: `KAFKA_SSL_CA_FILE`. */
  readonly caFile: string;
  /** Held while a process starts the secure broker. */
  readonly lockFile: string;
  readonly tmpDir: string;
}

/** Where the secure broker keeps everything. */
export function securePaths(config: InfraConfig): SecurePaths {
  const dir = join(config.stateDir, 'secure');
  const tlsDir = join(dir, 'tls');
  return {
    dir,
    pidFile: join(dir, 'kafka.pid'),
    logFile: join(dir, 'logs', 'kafka.log'),
    workDir: dir,
    propsFile: join(dir, 'server.properties'),
    dataDir: join(dir, 'data'),
    formattedFile: join(dir, 'formatted.json'),
    credentialsFile: join(dir, 'credentials.json'),
    tlsDir,
    caFile: join(tlsDir, 'ca.pem'),
    lockFile: join(dir, 'broker.lock'),
    tmpDir: join(dir, 'tmp'),
  };
}

/** The secure broker's SASL_SSL `host:port` for clients. */
export function secureBrokerAddress(config: InfraConfig): string {
  return `${config.host}:${config.secureKafkaPort}`;
}

/** Creates `dir` (and parents) and makes it owner-only (0700), whatever the umask. */
export async function ownerOnlyDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}
