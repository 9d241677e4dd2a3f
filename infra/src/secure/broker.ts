import { ADMIN_PRINCIPAL, FleetError } from '@fleet/contract';
import { createKafkaClient, createLogger, type KafkaConnection } from '@fleet/core';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VERSIONS, type InfraConfig, type Progress } from '../config.js';
import { clusterId, kafkaClasspath, log4j, singleNodeProperties } from '../kafka.js';
import { isPortOpen, waitFor } from '../probe.js';
import { runningPid, spawnDetached, stopUnanswering, tailLog } from '../process.js';
import { findKafkaJava } from '../toolchain.js';
import { ensureCredentials, SECURE_MECHANISM, type SecureCredentials } from './credentials.js';
import { ownerOnlyDir, secureBrokerAddress, securePaths, type SecurePaths } from './paths.js';
import { BROKER_CERT_SUBJECT, ensureTls, type TlsFiles } from './tls.js';

/** The broker's properties file is in its command line: it tells the secure broker from the plain one. */
export function secureMarker(config: InfraConfig): string {
  return securePaths(config).propsFile;
}

/**
 * A SASL_SSL listener for clients (SCRAM-SHA-512), and a controller listener of its own
 * on loopback that takes TLS with a client certificate signed by our CA, so only the
 * broker itself (whose key is owner-only) talks to it. The broker's connections to itself
 * run as the admin over SASL_SSL. StandardAuthorizer denies whatever no ACL allows;
 * super users are the admin and the broker's certificate.
 */
function serverProperties(config: InfraConfig, paths: SecurePaths, tls: TlsFiles, adminPassword: string): string {
  const { host, secureKafkaPort: port, secureControllerPort: controller } = config;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${host}:${controller}`,
    `listeners=SASL_SSL://${host}:${port},CONTROLLER://${host}:${controller}`,
    `advertised.listeners=SASL_SSL://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=SASL_SSL',
    'listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule ' +
      `required username="${ADMIN_PRINCIPAL}" password="${adminPassword}";`,
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${tls.brokerKeystore}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${tls.caCert}`,
    'listener.name.controller.ssl.client.auth=required',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false',
    `super.users=User:${ADMIN_PRINCIPAL};User:${BROKER_CERT_SUBJECT}`,
    ...singleNodeProperties(paths.dataDir),
    '',
  ].join('\n');
}

/** What the storage was formatted with; the SCRAM users live in the metadata log, so their passwords count. */
function formatStamp(config: InfraConfig, paths: SecurePaths, credentials: SecureCredentials): string {
  const users = createHash('sha256').update(JSON.stringify(credentials.users)).digest('hex');
  return JSON.stringify({
    version: VERSIONS.kafka,
    controllerPort: config.secureControllerPort,
    dataDir: paths.dataDir,
    users,
  });
}

/**
 * Writes server.properties (0600: it holds the admin's password) and, on first start or
 * when the users changed, formats the storage with every SCRAM user (KIP-900's
 * `--add-scram`), so credentials exist before the broker boots. The passwords reach the
 * storage tool through a 0600 argument file, never a command line others could read.
 */
async function prepareStorage(
  config: InfraConfig,
  paths: SecurePaths,
  java: string,
  cp: string,
  onProgress?: Progress,
): Promise<void> {
  const tls = await ensureTls(paths.tlsDir, onProgress);
  const credentials = await ensureCredentials(paths.credentialsFile);
  await writeFile(paths.propsFile, serverProperties(config, paths, tls, credentials.users[ADMIN_PRINCIPAL]), {
    mode: 0o600,
  });
  const stamp = formatStamp(config, paths, credentials);
  const previous = await readFile(paths.formattedFile, 'utf8').catch(() => undefined);
  if (previous === stamp && existsSync(join(paths.dataDir, 'meta.properties'))) return;
  if (previous !== undefined) onProgress?.('secure broker settings or users changed: starting from empty storage');
  await rm(paths.dataDir, { recursive: true, force: true });
  await ownerOnlyDir(paths.dataDir);
  const scram = Object.entries(credentials.users).flatMap(([name, password]) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${name},password=${password}]`,
  ]);
  const argFile = join(paths.dir, 'format.args');
  const args = [...log4j(config), '-cp', cp, 'kafka.tools.StorageTool', 'format', '--standalone'];
  args.push('-t', clusterId(), '-c', paths.propsFile, '-g', ...scram);
  await writeFile(argFile, `${args.join('\n')}\n`, { mode: 0o600 });
  try {
    const out = spawnSync(java, [`@${argFile}`], { encoding: 'utf8', timeout: 120_000 });
    // Its stdout echoes the SCRAM records (salted keys): only stderr goes into the error.
    if (out.status !== 0)
      throw new FleetError('FLEET_INFRA_FAILED', `formatting the secure broker's storage failed:\n${out.stderr}`);
  } finally {
    await rm(argFile, { force: true });
  }
  await writeFile(paths.formattedFile, stamp, { mode: 0o600 });
}

/** The seam's connection to the secure broker as `user`, e.g. for infra's own probes as the admin. */
export function secureConnection(
  config: InfraConfig,
  user: string,
  password: string,
  ca: string,
  overrides: Partial<KafkaConnection> = {},
): KafkaConnection {
  return {
    brokers: [secureBrokerAddress(config)],
    clientId: 'fleet-infra-secure',
    ssl: { ca },
    sasl: { mechanism: SECURE_MECHANISM, username: user, password },
    ...overrides,
  };
}

/**
 * What answers on the secure port: `ours` when a broker accepts our admin's credentials
 * and has a controller, `foreign` when something else listens there, `none` when nothing does.
 */
export async function secureBrokerState(config: InfraConfig, timeoutMs = 3000): Promise<'ours' | 'foreign' | 'none'> {
  if (!(await isPortOpen(config.host, config.secureKafkaPort, 500))) return 'none';
  const paths = securePaths(config);
  if (!existsSync(paths.credentialsFile) || !existsSync(paths.caFile)) return 'foreign';
  const { users } = JSON.parse(await readFile(paths.credentialsFile, 'utf8')) as SecureCredentials;
  const ca = await readFile(paths.caFile, 'utf8');
  const connection = secureConnection(config, ADMIN_PRINCIPAL, users[ADMIN_PRINCIPAL], ca, {
    connectionTimeoutMs: timeoutMs,
    requestTimeoutMs: timeoutMs,
    retries: 0,
  });
  try {
    const admin = await createKafkaClient(connection, createLogger({ service: 'infra', level: 'silent' })).admin();
    try {
      const cluster = await admin.describeCluster();
      // A group lookup makes the broker create __consumer_offsets now, not on a client's first join.
      if (cluster.controller !== null) await admin.describeGroup('fleet-infra-warmup');
      return cluster.brokers > 0 && cluster.controller !== null ? 'ours' : 'foreign';
    } finally {
      await admin.disconnect();
    }
  } catch {
    // Starting up, or another broker that refuses our credentials: the caller tells them apart.
    return 'foreign';
  }
}

/** Prepares TLS, credentials and storage (first start), starts the broker detached and waits until it answers. */
export async function startSecureKafka(config: InfraConfig, onProgress?: Progress): Promise<number> {
  const paths = securePaths(config);
  for (const dir of [paths.dir, join(paths.dir, 'logs'), paths.tmpDir]) await ownerOnlyDir(dir);
  const java = findKafkaJava();
  const cp = await kafkaClasspath(config, onProgress);
  await prepareStorage(config, paths, java.bin, cp, onProgress);
  const address = secureBrokerAddress(config);
  onProgress?.(`starting the secure Kafka broker (SASL_SSL) on ${address}, log ${paths.logFile}`);
  const pid = await spawnDetached({
    bin: java.bin,
    args: [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Djava.io.tmpdir=${paths.tmpDir}`,
      ...log4j(config),
      '-cp',
      cp,
      'kafka.Kafka',
      paths.propsFile,
    ],
    cwd: paths.dir,
    paths,
  });
  // Inside a 0700 folder already; owner-only like everything else there.
  await Promise.all([chmod(paths.logFile, 0o600), chmod(paths.pidFile, 0o600)]);
  await waitFor(async () => (await secureBrokerState(config)) === 'ours', {
    what: `the secure Kafka broker on ${address}`,
    timeoutMs: 120_000,
    onProgress,
    failure: async () =>
      (await runningPid(paths.pidFile, secureMarker(config))) === undefined
        ? `the broker exited; last lines of ${paths.logFile}:\n${await tailLog(paths.logFile)}`
        : undefined,
    onTimeout: () => stopUnanswering('secure broker', paths, secureMarker(config), 'npx fleet infra reset --secure'),
  });
  return pid;
}
