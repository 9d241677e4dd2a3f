/**
 * Stopping, killing, freezing and starting this run's Kafka broker, for the broker faults.
 *
 * The global setup knows who started the broker, so it decides what may be done to it and
 * provides a serialisable {@link BrokerControlSpec} (`inject('brokerControl')`); the test
 * files, which run in other processes, turn it into a {@link BrokerControl} with
 * {@link brokerControl}. The local stack is driven through the broker's pid (signals, then
 * `ensureStack`); a testcontainers broker through the Docker API by container id, which
 * any process can reach, unlike the `StartedTestContainer` object of the setup process.
 */
import { Kafka, logLevel } from 'kafkajs';
import { ensureStack, stackStatus } from '@fleet/infra';
import type { ContainerRuntimeClient } from 'testcontainers';

/** What the global setup allows the tests to do to the broker. */
export type BrokerControlSpec =
  /** The local stack's broker, started from this checkout (its pid file names it). */
  | { readonly kind: 'local' }
  /** A broker container this run started with testcontainers. */
  | { readonly kind: 'container'; readonly containerId: string; readonly brokers: string }
  /** A broker this run may not stop: `reason` says whose it is. */
  | { readonly kind: 'none'; readonly reason: string };

/** The faults that can be done to the broker. Each resolves once the broker is in that state. */
export interface BrokerControl {
  readonly kind: 'local' | 'container';
  /** Clean stop: SIGTERM (a container's stop), resolved once the broker has exited. */
  stop(): Promise<void>;
  /** Crash: SIGKILL, resolved once the broker has exited. */
  kill(): Promise<void>;
  /** Freeze: SIGSTOP (a container's pause); its connections stay open and nothing answers. */
  pause(): Promise<void>;
  /** Ends a freeze (SIGCONT, unpause); does nothing when the broker is not frozen. */
  resume(): Promise<void>;
  /** Starts the stopped broker again on its data (nothing when it runs); resolves once it answers. */
  start(): Promise<void>;
}

/**
 * How long a clean stop may take: the grace the local stack gives its broker before a
 * SIGKILL (`stopStack`), also used as the container's stop timeout.
 */
export const BROKER_STOP_MS = 30_000;
/** How long a start may take: the local stack waits this long for its broker to answer. */
export const BROKER_START_MS = 120_000;

/** The control a spec allows; undefined for `none`. */
export async function brokerControl(spec: BrokerControlSpec): Promise<BrokerControl | undefined> {
  if (spec.kind === 'local') return localControl();
  if (spec.kind === 'container') return containerControl(spec.containerId, spec.brokers);
  return undefined;
}

/** Polls `check` every 200 ms until it holds; throws naming `what` after `timeoutMs`. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function localControl(): BrokerControl {
  let frozen: number | undefined;
  const runningPid = async () => (await stackStatus()).kafka.pid;
  const signalAndWait = async (signal: 'SIGTERM' | 'SIGKILL') => {
    const pid = await runningPid();
    if (pid === undefined) throw new Error('the local broker is not running');
    process.kill(pid, signal);
    // stackStatus names a pid only while that process runs and is our broker.
    await until(async () => (await runningPid()) !== pid, `the broker (pid ${pid}) to exit`, BROKER_STOP_MS);
  };
  return {
    kind: 'local',
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
    async pause() {
      const pid = await runningPid();
      if (pid === undefined) throw new Error('the local broker is not running');
      process.kill(pid, 'SIGSTOP');
      frozen = pid;
    },
    async resume() {
      if (frozen === undefined) return;
      try {
        process.kill(frozen, 'SIGCONT');
      } catch {
        // gone meanwhile: nothing to resume
      }
      frozen = undefined;
    },
    async start() {
      // Restarted under running services, as in production: cold, not warmed up first.
      await ensureStack({ onProgress: (line) => console.log(`[infra] ${line}`), warmUpBroker: false });
    },
  };
}

async function containerControl(containerId: string, brokers: string): Promise<BrokerControl> {
  // Loaded only here: a run on the local stack never needs the Docker client.
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client: ContainerRuntimeClient = await getContainerRuntimeClient();
  const container = client.container.getById(containerId);
  let frozen = false;
  const exited = async () => !(await client.container.inspect(container)).State.Running;
  return {
    kind: 'container',
    async stop() {
      // Docker sends SIGTERM, then SIGKILL after the timeout; resolves once the container stopped.
      await client.container.stop(container, { timeout: BROKER_STOP_MS });
    },
    async kill() {
      await container.kill({ signal: 'SIGKILL' });
      await until(exited, `container ${containerId} to exit`, BROKER_STOP_MS);
    },
    async pause() {
      await container.pause();
      frozen = true;
    },
    async resume() {
      if (!frozen) return;
      await container.unpause();
      frozen = false;
    },
    async start() {
      // Same container, same writable layer: the broker restarts on its data, on the same
      // fixed host port (see global-setup.ts), so clients reconnect to the address they know.
      const { State } = await client.container.inspect(container);
      if (!State.Running) await client.container.start(container);
      await until(() => brokerAnswers(brokers), `the broker container ${containerId} to answer`, BROKER_START_MS);
    },
  };
}

/** True when the broker answers a metadata request (one attempt, no retries). */
async function brokerAnswers(brokers: string): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'fleet-faults-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
