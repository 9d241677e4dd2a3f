/**
 * A fleet of real service processes on random topics and groups, for fault injection:
 * start instances (production entry points, or the faulty model entry, all through the
 * CLI's one launcher), signal them, and wait until they are ready again.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '@fleet/contract';
import { ensureFleetTopics, groupLag, type AdminClient } from '@fleet/core';
import { isAlive, launchService, type LaunchedService, type ServiceName } from '@fleet/cli/launcher';
import { eventually, randomName, stack, testKafka } from '../../helpers.js';

const FAULTY_MODEL = fileURLToPath(new URL('./faulty-model-main.ts', import.meta.url));

/** One running service process. */
export interface Instance extends LaunchedService {
  /** Its exit code once it exited (null when a signal ended it), else undefined. */
  readonly exitCode: number | null | undefined;
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null | undefined;
}

function instanceOf(launched: LaunchedService): Instance {
  return Object.defineProperties(
    { ...launched },
    {
      exitCode: { get: () => launched.exit()?.code, enumerable: true },
      signal: { get: () => launched.exit()?.signal, enumerable: true },
    },
  ) as Instance;
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
  /** Where each instance writes its log (`<name>.log`), and the ride tracker its own. */
  readonly logDir: string;
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
  const groupOf = (service: ServiceName) => `${prefix}.${service}`;

  const fleet: ProcFleet = {
    prefix,
    topics,
    env,
    admin,
    instances,
    logDir,
    async start(service, opts = {}) {
      const n = (counters.get(service) ?? 0) + 1;
      counters.set(service, n);
      const name = opts.name ?? `${service}-${n}`;
      const instance = instanceOf(
        await launchService(service, {
          name,
          logFile: join(logDir, `${name}.log`),
          entry: opts.faulty ? FAULTY_MODEL : undefined,
          env: {
            ...env,
            GROUP_ID: groupOf(service),
            KAFKA_CLIENT_ID: `fleet-${name}`,
            ...(opts.faulty ? { FAULT_MODEL: service } : {}),
            ...opts.env,
          },
        }),
      );
      instances.set(name, instance);
      if (opts.wait !== false) await instance.waitReady(READY_TIMEOUT_MS);
      return instance;
    },
    async signal(name, signal) {
      const instance = must(name);
      process.kill(instance.pid, signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM') {
        await eventually(() => instance.exitCode !== undefined, `${name} to exit after ${signal}`, 30_000);
        instances.delete(name);
      }
    },
    async stop(name, graceMs = 15_000) {
      const instance = must(name);
      await instance.stop(graceMs);
      await eventually(() => instance.exitCode !== undefined, `${name} to exit`, 5000);
      instances.delete(name);
    },
    async waitAllReady(timeoutMs = 60_000) {
      await Promise.all([...instances.values()].map((i) => i.waitReady(timeoutMs)));
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
      if (instance) return instance.logLines(pattern);
      // An instance that exited is no longer tracked; its log stays.
      return launchedLog(join(logDir, `${name}.log`), pattern);
    },
    async close() {
      await Promise.all(
        [...instances.values()].map(async (i) => {
          await i.stop(15_000);
          if (isAlive(i.pid)) process.kill(i.pid, 'SIGKILL');
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

/** How long a started instance may take to load its model and join its group. */
const READY_TIMEOUT_MS = 90_000;

function launchedLog(file: string, pattern: RegExp): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => pattern.test(l));
  } catch {
    return [];
  }
}
