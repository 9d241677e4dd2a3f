import { FleetError } from '@fleet/contract';
import { join } from 'node:path';
import { componentPaths, loadInfraConfig, VERSIONS, type InfraConfig, type Progress } from './config.js';
import { brokerAddress, KAFKA_MARKER, kafkaAnswers, startKafka, warmUpStartedBroker } from './kafka.js';
import { addHolder, clearHolders, otherHolders, processHolder, removeHolder } from './holders.js';
import { withLock } from './lock.js';
import { isPortOpen, waitFor } from './probe.js';
import { runningPid, stopPid } from './process.js';
import { REGISTRY_MARKER, registryAnswers, registryUrl, startRegistry } from './registry.js';
import { findKafkaJava, findRegistryJava } from './toolchain.js';

/** A component of the local stack. */
export type StackComponent = 'kafka' | 'registry';

/** Options of {@link ensureStack}. */
export interface EnsureStackOptions {
  /** Receives progress lines (downloads, start-up, waiting). @default no output */
  readonly onProgress?: Progress;
  /**
   * Whether a broker this call starts is warmed up before it counts as started
   * ({@link warmUpStartedBroker}). False where a cold broker is the point (a broker restarted
   * under a running fleet, as in the fault suite). @default true
   */
  readonly warmUpBroker?: boolean;
  /**
   * Holds the stack until {@link releaseStack}: `true` for this process, or a holder's name
   * (`fleet-up`). A holder's release stops only what it started, and only when no other
   * holder is left. @default not held
   */
  readonly hold?: true | string;
}

/** Where the running stack answers. */
export interface StackEndpoints {
  /** Bootstrap servers for Kafka clients, e.g. `127.0.0.1:9092`. */
  readonly brokers: string;
  /** Confluent-compatible registry URL, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  readonly registryUrl: string;
  /** What this call started; empty when everything was already running. */
  readonly started: StackComponent[];
}

/** State of one component, as reported by {@link stackStatus}. */
export interface ComponentStatus {
  readonly name: StackComponent;
  readonly version: string;
  /** Where clients reach it. */
  readonly address: string;
  /** Pid from our pid file when that process runs; undefined when we did not start it (or it is gone). */
  readonly pid: number | undefined;
  /** Whether it answers a real request (a metadata request, `GET /subjects`), whoever started it. */
  readonly answering: boolean;
  readonly logFile: string;
}

/** State of the whole local stack. */
export interface StackStatus {
  readonly kafka: ComponentStatus;
  readonly registry: ComponentStatus;
  readonly stateDir: string;
}

interface ComponentSpec {
  readonly name: StackComponent;
  readonly what: string;
  readonly host: string;
  readonly port: number;
  readonly marker: string;
  readonly answers: (config: InfraConfig) => Promise<boolean>;
  readonly start: (config: InfraConfig, onProgress?: Progress) => Promise<number>;
  /** Throws a clear error when a tool needed to start it is missing. */
  readonly preflight: () => unknown;
}

function specs(config: InfraConfig): ComponentSpec[] {
  return [
    {
      name: 'kafka',
      what: `Kafka on ${brokerAddress(config)}`,
      host: config.host,
      port: config.kafkaPort,
      marker: KAFKA_MARKER,
      answers: kafkaAnswers,
      start: startKafka,
      preflight: findKafkaJava,
    },
    {
      name: 'registry',
      what: `the schema registry on port ${config.registryPort}`,
      host: config.host,
      port: config.registryPort,
      marker: REGISTRY_MARKER,
      answers: registryAnswers,
      start: startRegistry,
      preflight: findRegistryJava,
    },
  ];
}

/** How long a port that is open but does not answer yet may take to answer before it is called foreign. */
const FOREIGN_PORT_GRACE_MS = 60_000;

/** Reuses what answers, waits for ours if it is still starting, otherwise starts it. Resolves to true if started. */
async function ensureComponent(config: InfraConfig, spec: ComponentSpec, onProgress?: Progress): Promise<boolean> {
  if (await spec.answers(config)) return false;
  const paths = componentPaths(config, spec.name);
  if ((await runningPid(paths.pidFile, spec.marker)) !== undefined) {
    await waitFor(() => spec.answers(config), { what: spec.what, timeoutMs: 120_000, onProgress });
    return false;
  }
  if (await isPortOpen(spec.host, spec.port)) {
    // Another checkout's broker may be starting (it binds its port before it answers).
    const answered = await waitFor(() => spec.answers(config), {
      what: `${spec.what} (its port is open)`,
      timeoutMs: FOREIGN_PORT_GRACE_MS,
      onProgress,
    }).then(
      () => true,
      () => false,
    );
    if (answered) return false;
    throw new FleetError(
      'FLEET_INFRA_FAILED',
      `port ${spec.port} is taken by something that is not ${spec.what}; stop it or choose another port (see infra/README.md)`,
    );
  }
  await spec.start(config, onProgress);
  return true;
}

/**
 * Makes sure a Kafka broker and a schema registry answer locally, and says where.
 * Idempotent and safe to call from several processes at once: what already answers on the
 * configured ports is reused (whoever started it); otherwise it is fetched with Maven
 * (cached under the state directory), started detached so it outlives the caller, and
 * waited for.
 */
export async function ensureStack(opts: EnsureStackOptions = {}): Promise<StackEndpoints> {
  const config = loadInfraConfig();
  return withLock(
    join(config.stateDir, 'stack.lock'),
    async () => {
      // Missing tools fail before anything starts, so a half-started stack is rare.
      for (const spec of specs(config)) if (!(await spec.answers(config))) spec.preflight();
      const results = await Promise.allSettled(
        specs(config).map((spec) => ensureComponent(config, spec, opts.onProgress)),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const started = specs(config)
        .filter((_, i) => (results[i] as PromiseFulfilledResult<boolean>).value)
        .map((spec) => spec.name);
      if (started.includes('kafka') && opts.warmUpBroker !== false) await warmUpStartedBroker(config, opts.onProgress);
      if (opts.hold !== undefined) addHolder(config, holderName(opts.hold));
      return { brokers: brokerAddress(config), registryUrl: registryUrl(config), started };
    },
    opts.onProgress,
  );
}

const holderName = (hold: true | string): string => (hold === true ? processHolder() : hold);

/** What {@link releaseStack} did. */
export interface StackRelease {
  /** The components stopped. */
  readonly stopped: StackComponent[];
  /** The other holders that kept what the caller started running. */
  readonly keptFor: string[];
}

/**
 * Ends a hold of {@link ensureStack} (`hold`: as given there) and stops the components of
 * `started` (what that call started), unless another holder still uses the stack: then
 * they keep running, and `npx fleet infra down` stops them.
 */
export async function releaseStack(started: readonly StackComponent[], hold: true | string): Promise<StackRelease> {
  const config = loadInfraConfig();
  return withLock(join(config.stateDir, 'stack.lock'), async () => {
    const holder = holderName(hold);
    removeHolder(config, holder);
    const keptFor = otherHolders(config, holder);
    if (keptFor.length > 0 || started.length === 0) return { stopped: [], keptFor };
    return { stopped: await stopStack(started), keptFor };
  });
}

/**
 * Stops the broker and the registry (or those of `only`) that our pid files name
 * (SIGTERM, then SIGKILL after 30 s), whoever holds them: stopping both forgets every
 * holder. Does nothing for components that do not run or that someone else started.
 * Resolves to what was stopped.
 */
export async function stopStack(only?: readonly StackComponent[]): Promise<StackComponent[]> {
  const config = loadInfraConfig();
  if (!only) clearHolders(config);
  const stopped = await Promise.all(
    specs(config)
      .filter((spec) => !only || only.includes(spec.name))
      .map(async (spec) =>
        (await stopPid(componentPaths(config, spec.name).pidFile, spec.marker)) ? [spec.name] : [],
      ),
  );
  return stopped.flat();
}

/** Reports what runs, with pids, addresses, log files, and whether each component answers. */
export async function stackStatus(): Promise<StackStatus> {
  const config = loadInfraConfig();
  const [kafka, registry] = await Promise.all(
    specs(config).map(async (spec): Promise<ComponentStatus> => {
      const paths = componentPaths(config, spec.name);
      return {
        name: spec.name,
        version: VERSIONS[spec.name],
        address: spec.name === 'kafka' ? brokerAddress(config) : registryUrl(config),
        pid: await runningPid(paths.pidFile, spec.marker),
        answering: await spec.answers(config),
        logFile: paths.logFile,
      };
    }),
  );
  return { kafka, registry, stateDir: config.stateDir };
}
