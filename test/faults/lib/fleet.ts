/**
 * A fleet of real service processes on random topics and groups, for fault injection:
 * start instances (production entry points, or the faulty model entry), signal them, and
 * wait until they are ready again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureFleetTopics, groupLag, type AdminClient } from '@fleet/core';
import { freePort, isAlive, isReady, spawnService, stopProcess } from '../../../packages/cli/src/procs/spawn.js';
import { REPO_ROOT, type ServiceName } from '../../../packages/cli/src/procs/services.js';
import { eventually, randomName, stack, testKafka } from '../../helpers.js';

const require = createRequire(import.meta.url);
const FAULTY_MODEL = fileURLToPath(new URL('./faulty-model-main.ts', import.meta.url));

/** One running service process. */
export interface Instance {
  readonly name: string;
  readonly service: ServiceName;
  /** The tsx launcher process (what spawnService returns). */
  readonly child: ChildProcess;
  /**
   * Pid of the service itself, from its /readyz. tsx runs the script in a child process of
   * the launcher: a SIGKILL or SIGSTOP sent to the launcher never reaches the service.
   */
  pid: number | undefined;
  readonly port: number;
  readonly logFile: string;
  exitCode: number | null | undefined;
  signal: NodeJS.Signals | null | undefined;
}

/** Options of {@link startProcFleet}. */
export interface ProcFleetOptions {
  partitions?: number;
  /** Environment of every instance (DECISION_JOIN_TIMEOUT_MS, KAFKA_SESSION_TIMEOUT_MS, ...). */
  env?: Record<string, string>;
}

/** A fleet of service processes sharing random topics and groups. */
export interface ProcFleet {
  readonly prefix: string;
  readonly topics: { rides: string; predictions: string; decisions: string };
  readonly env: Record<string, string>;
  readonly admin: AdminClient;
  readonly instances: Map<string, Instance>;
  /** Starts an instance (optionally the faulty model entry) and, unless `wait` is false, waits for /readyz. */
  start(
    service: ServiceName,
    options?: { name?: string; env?: Record<string, string>; faulty?: boolean; wait?: boolean },
  ): Promise<Instance>;
  /** Sends `signal` to an instance; for SIGKILL/SIGTERM waits for the exit. */
  signal(name: string, signal: NodeJS.Signals): Promise<void>;
  /** Graceful stop (SIGTERM, SIGKILL after `graceMs`). */
  stop(name: string, graceMs?: number): Promise<void>;
  /** Waits until every live instance answers /readyz 200. */
  waitAllReady(timeoutMs?: number): Promise<void>;
  /** Waits until the lag of every group of the fleet is 0. */
  waitNoLag(timeoutMs?: number): Promise<void>;
  /** Lines of an instance's log that match `pattern`. */
  logLines(name: string, pattern: RegExp): string[];
  /** Stops every instance and deletes the topics. */
  close(): Promise<void>;
}

/** Creates the topics of a new fleet; instances are started with `start`. */
export async function startProcFleet(options: ProcFleetOptions = {}): Promise<ProcFleet> {
  const { brokers, registryUrl } = stack();
  const prefix = randomName('faults');
  const topics = {
    rides: `${prefix}.ride_started`,
    predictions: `${prefix}.predictions`,
    decisions: `${prefix}.ride_decisions`,
  };
  const env: Record<string, string> = {
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registryUrl,
    TOPIC_RIDES: topics.rides,
    TOPIC_PREDICTIONS: topics.predictions,
    TOPIC_DECISIONS: topics.decisions,
    DECISION_GROUP_ID: `${prefix}.decision`,
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_MS: '10000',
    ...options.env,
  };
  const admin = await testKafka('faults-admin').admin();
  await ensureFleetTopics(admin, topics, options.partitions ?? 6);
  const logDir = join(REPO_ROOT, '.fleet', 'faults-logs', prefix);
  mkdirSync(logDir, { recursive: true });
  const instances = new Map<string, Instance>();
  const counters = new Map<string, number>();
  const groupOf = (service: ServiceName) => (service === 'decision' ? env.DECISION_GROUP_ID : `${prefix}.${service}`);

  const fleet: ProcFleet = {
    prefix,
    topics,
    env,
    admin,
    instances,
    async start(service, opts = {}) {
      const n = (counters.get(service) ?? 0) + 1;
      counters.set(service, n);
      const name = opts.name ?? `${service}-${n}`;
      const port = await freePort();
      const logFile = join(logDir, `${name}.log`);
      const instanceEnv = {
        ...env,
        GROUP_ID: groupOf(service),
        METRICS_PORT: String(port),
        KAFKA_CLIENT_ID: `fleet-${name}`,
        ...opts.env,
      };
      let child: ChildProcess;
      if (opts.faulty) {
        const out = openSync(logFile, 'a');
        child = spawn(process.execPath, [require.resolve('tsx/cli'), FAULTY_MODEL], {
          cwd: REPO_ROOT,
          env: { ...process.env, ...instanceEnv, FAULT_MODEL: service },
          stdio: ['ignore', out, out],
        });
      } else {
        child = spawnService(service, { env: instanceEnv, logFile });
      }
      const instance: Instance = {
        name,
        service,
        child,
        pid: undefined,
        port,
        logFile,
        exitCode: undefined,
        signal: undefined,
      };
      child.on('exit', (code, signal) => {
        instance.exitCode = code;
        instance.signal = signal;
      });
      instances.set(name, instance);
      if (opts.wait !== false) await waitReady(instance, 90_000);
      return instance;
    },
    async signal(name, signal) {
      const instance = must(name);
      if (instance.pid === undefined) throw new Error(`${name}: pid of the service unknown (not ready yet)`);
      process.kill(instance.pid, signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM') {
        const pid = instance.pid;
        await eventually(() => !isAlive(pid), `${name} to exit after ${signal}`, 30_000);
        // The launcher follows its child out.
        await eventually(() => instance.exitCode !== undefined, `${name}'s launcher to exit`, 10_000);
        instances.delete(name);
      }
    },
    async stop(name, graceMs = 15_000) {
      const instance = must(name);
      await stopProcess(instance.child.pid!, graceMs);
      await eventually(() => instance.exitCode !== undefined, `${name} to exit`, graceMs + 5000);
      instances.delete(name);
    },
    async waitAllReady(timeoutMs = 60_000) {
      await Promise.all([...instances.values()].map((i) => waitReady(i, timeoutMs)));
    },
    async waitNoLag(timeoutMs = 60_000) {
      const groups = new Map<string, string>();
      for (const i of instances.values())
        groups.set(groupOf(i.service), i.service === 'decision' ? topics.predictions : topics.rides);
      await eventually(
        async () => {
          const lags = await Promise.all([...groups].map(([g, t]) => groupLag(admin, g, t).catch(() => undefined)));
          return lags.every((l) => l !== undefined && l.total === 0);
        },
        'the lag of every group to be 0',
        timeoutMs,
      ).catch(async (err: Error) => {
        const lags = await Promise.all([...groups].map(([g, t]) => groupLag(admin, g, t).catch(() => undefined)));
        const detail = lags
          .filter((l) => l && l.total > 0)
          .map(
            (l) =>
              `${l!.group}: ${l!.partitions
                .filter((p) => p.lag > 0)
                .map((p) => `p${p.partition}=${p.lag}`)
                .join(' ')}`,
          );
        throw new Error(`${err.message} (${detail.join('; ')})`);
      });
    },
    logLines(name, pattern) {
      const instance = [...instances.values()].find((i) => i.name === name);
      const file = instance?.logFile ?? join(logDir, `${name}.log`);
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => pattern.test(l));
    },
    async close() {
      await Promise.all(
        [...instances.values()].map(async (i) => {
          await stopProcess(i.child.pid!, 15_000).catch(() => undefined);
          // Never leave a service behind its launcher (a SIGKILL of tsx does not reach it).
          if (i.pid !== undefined && isAlive(i.pid)) process.kill(i.pid, 'SIGKILL');
        }),
      );
      instances.clear();
      await admin
        .deleteTopics([...Object.values(topics), `${topics.rides}.dlq`, `${topics.predictions}.dlq`])
        .catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    },
  };

  function must(name: string): Instance {
    const instance = instances.get(name);
    if (!instance) throw new Error(`no instance ${name}`);
    return instance;
  }
  return fleet;
}

/** The service's own pid, from its /readyz (or /healthz) JSON. */
async function servicePid(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return ((await response.json()) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

/** Waits for an instance's /readyz; fails at once (with its log's tail) if the process exits. */
async function waitReady(instance: Instance, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    instance.pid ??= await servicePid(instance.port);
    if (await isReady(instance.port)) break;
    if (instance.exitCode !== undefined || !isAlive(instance.child.pid!))
      throw new Error(`${instance.name} exited (${instance.exitCode ?? instance.signal}):\n${tail(instance.logFile)}`);
    if (Date.now() > deadline)
      throw new Error(`${instance.name} not ready after ${timeoutMs} ms:\n${tail(instance.logFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
