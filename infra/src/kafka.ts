import { FleetError } from '@fleet/contract';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createKafkaClient, createLogger, kafkaClientKind } from '@fleet/core';
import { componentPaths, VERSIONS, type InfraConfig, type Progress } from './config.js';
import { cachedClasspath } from './maven.js';
import { isPortOpen, waitFor } from './probe.js';
import { runningPid, spawnDetached, stopUnanswering, tailLog } from './process.js';
import { findKafkaJava } from './toolchain.js';
import { warmUpBroker } from './warm-up.js';

/** Found in the broker's command line; tells our broker from a reused pid. */
export const KAFKA_MARKER = 'kafka.Kafka';

/** The broker's `host:port` for clients. */
export function brokerAddress(config: InfraConfig): string {
  return `${config.host}:${config.kafkaPort}`;
}

/** The broker's runtime classpath (Maven once, then cached under the state directory). */
export function kafkaClasspath(config: InfraConfig, onProgress?: Progress): Promise<string> {
  return cachedClasspath({
    pom: join(config.infraDir, 'kafka', 'pom.xml'),
    cacheDir: join(config.stateDir, 'kafka'),
    cacheName: `classpath-${VERSIONS.kafka}`,
    what: `Kafka ${VERSIONS.kafka}`,
    onProgress,
  });
}

function serverProperties(config: InfraConfig, dataDir: string): string {
  const { host, kafkaPort, controllerPort } = config;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${kafkaPort},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    ...singleNodeProperties(dataDir),
    '',
  ].join('\n');
}

/** Storage and topic settings of a local single-node broker, plain or secure. */
export function singleNodeProperties(dataDir: string): string[] {
  return [
    `log.dirs=${dataDir}`,
    'num.partitions=6',
    'auto.create.topics.enable=false',
    // A single node cannot hold 3 replicas: internal topics are never created otherwise
    // and consumers loop on "group coordinator not available" (tulios/kafkajs#1752).
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=6',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests join groups all the time; the 3 s default delay is pure waiting here.
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=24',
  ];
}

/** A Kafka cluster id: 16 random bytes, base64url (what `kafka-storage random-uuid` prints). */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Writes server.properties and formats the data directory on first start. The quorum
 * (with `--standalone`) records the controller endpoint, so a changed controller port
 * means a fresh data directory.
 */
async function prepareStorage(config: InfraConfig, java: string, cp: string, onProgress?: Progress): Promise<string> {
  const dir = join(config.stateDir, 'kafka');
  const dataDir = join(dir, 'data');
  const propsFile = join(dir, 'server.properties');
  const formatted = join(dir, 'formatted.json');
  const stamp = JSON.stringify({ version: VERSIONS.kafka, controllerPort: config.controllerPort, dataDir });
  const previous = await readFile(formatted, 'utf8').catch(() => undefined);
  if (previous !== stamp && existsSync(dataDir)) {
    // Formatted with other settings, or not known to be formatted at all (a start cut
    // between the format and its stamp): formatting again would fail on what is there.
    onProgress?.(
      previous === undefined
        ? 'Kafka data directory of an unfinished format: starting from empty storage'
        : 'Kafka settings changed since the data directory was formatted: starting from empty storage',
    );
    await rm(dataDir, { recursive: true, force: true });
  }
  await mkdir(dataDir, { recursive: true });
  await writeFile(propsFile, serverProperties(config, dataDir));
  if (previous !== stamp || !existsSync(join(dataDir, 'meta.properties'))) {
    const args = [
      ...log4j(config),
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '--standalone',
      '-t',
      clusterId(),
      '-c',
      propsFile,
      '-g',
    ];
    const out = spawnSync(java, args, { encoding: 'utf8', timeout: 120_000 });
    if (out.status !== 0)
      throw new FleetError('FLEET_INFRA_FAILED', `formatting Kafka storage failed:\n${out.stdout}\n${out.stderr}`);
    await writeFile(formatted, stamp);
  }
  return propsFile;
}

/** The JVM flag pointing log4j2 at infra's properties file (no YAML parser needed). */
export function log4j(config: InfraConfig): string[] {
  return [`-Dlog4j2.configurationFile=${join(config.infraDir, 'kafka', 'log4j2.properties')}`];
}

/** Retries of the coordinator warm-up (the seam's admin backoff: about 10 s in all). */
const WARM_UP_RETRIES = 8;

/** A client of the seam for infra's own calls: quiet, failing at once unless given `retries`. */
function probeClient(config: InfraConfig, clientId: string, timeoutMs: number, retries = 0) {
  return createKafkaClient(
    {
      client: kafkaClientKind(),
      brokers: [brokerAddress(config)],
      clientId,
      connectionTimeoutMs: timeoutMs,
      requestTimeoutMs: timeoutMs,
      retries,
    },
    createLogger({ service: 'infra', level: 'silent' }),
  );
}

/** True when a Kafka broker answers a metadata request on the configured port. */
export async function kafkaAnswers(config: InfraConfig, timeoutMs = 3000): Promise<boolean> {
  if (!(await isPortOpen(config.host, config.kafkaPort, 500))) return false;
  try {
    const admin = await probeClient(config, 'fleet-infra-probe', timeoutMs).admin();
    try {
      const cluster = await admin.describeCluster();
      return cluster.brokers > 0 && cluster.controller !== null;
    } finally {
      await admin.disconnect();
    }
  } catch {
    // Not answering (yet) is what this probe reports, not an error.
    return false;
  }
}

/**
 * Asks the group coordinator until it answers, so the broker creates `__consumer_offsets`
 * now rather than during the first consumer's join (which then retries for a while). With
 * retries: the coordinator answers "not available" while that topic is being created.
 * Best effort: resolves to whether the coordinator answered, and says on `onProgress` why not.
 */
export async function warmUpCoordinator(config: InfraConfig, onProgress?: Progress): Promise<boolean> {
  try {
    const admin = await probeClient(config, 'fleet-infra-warmup', 10_000, WARM_UP_RETRIES).admin();
    try {
      await admin.describeGroup('fleet-infra-warmup');
      return true;
    } finally {
      await admin.disconnect();
    }
  } catch (err) {
    // Best effort: clients retry on their own.
    onProgress?.(`warming up the group coordinator failed (clients will retry): ${(err as Error).message}`);
    return false;
  }
}

/**
 * Warms a broker just started ({@link warmUpBroker}) for up to `FLEET_BROKER_WARM_UP_S`.
 * Best effort: a warm-up that fails leaves a broker that works, only cold; `onProgress` says why.
 */
export async function warmUpStartedBroker(config: InfraConfig, onProgress?: Progress): Promise<void> {
  if (config.brokerWarmUpS === 0) return;
  try {
    const client = probeClient(config, 'fleet-infra-warmup', 10_000, WARM_UP_RETRIES);
    const done = await warmUpBroker(client, { maxMs: config.brokerWarmUpS * 1000, onProgress });
    onProgress?.(
      `broker warmed up: ${done.records} records in ${(done.ms / 1000).toFixed(0)} s` +
        (done.steady ? '' : ` (its rate still rose at FLEET_BROKER_WARM_UP_S=${config.brokerWarmUpS})`),
    );
  } catch (err) {
    onProgress?.(`warming up the broker failed (it works, only cold at first): ${(err as Error).message}`);
  }
}

/** Fetches (cached), formats (first time), starts the broker detached, and waits until it answers. */
export async function startKafka(config: InfraConfig, onProgress?: Progress): Promise<number> {
  const java = findKafkaJava();
  const cp = await kafkaClasspath(config, onProgress);
  const propsFile = await prepareStorage(config, java.bin, cp, onProgress);
  const paths = componentPaths(config, 'kafka');
  const tmp = join(config.stateDir, 'tmp');
  await mkdir(tmp, { recursive: true });
  onProgress?.(
    `starting Kafka ${VERSIONS.kafka} (Java ${java.major}) on ${brokerAddress(config)}, log ${paths.logFile}`,
  );
  const pid = await spawnDetached({
    bin: java.bin,
    args: [
      '-Xms1g',
      '-Xmx1g',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExplicitGCInvokesConcurrent',
      '-Djava.awt.headless=true',
      `-Djava.io.tmpdir=${tmp}`,
      ...log4j(config),
      '-cp',
      cp,
      KAFKA_MARKER,
      propsFile,
    ],
    cwd: paths.workDir,
    paths,
  });
  await waitFor(() => kafkaAnswers(config), {
    what: `Kafka on ${brokerAddress(config)}`,
    timeoutMs: 120_000,
    onProgress,
    failure: async () =>
      (await runningPid(paths.pidFile, KAFKA_MARKER)) === undefined
        ? `the broker exited; last lines of ${paths.logFile}:\n${await tailLog(paths.logFile)}`
        : undefined,
    onTimeout: () => stopUnanswering('broker', paths, KAFKA_MARKER),
  });
  await warmUpCoordinator(config, onProgress);
  return pid;
}
