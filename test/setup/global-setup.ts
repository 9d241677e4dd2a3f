/**
 * Vitest global setup: finds a real Kafka broker and schema registry for the test run.
 *
 * In this order: `KAFKA_BROKERS` + `SCHEMA_REGISTRY_URL` from the environment; else
 * containers through testcontainers when a Docker engine answers (and the package is
 * installed); else the local stack of `infra/` (reused if running, started otherwise).
 * Test files read the choice with `inject('kafka')` (or `inject('stack')`), and
 * `process.env.KAFKA_BROKERS` / `SCHEMA_REGISTRY_URL` are set for child processes.
 * `inject('brokerControl')` says whether the broker faults may stop and start that broker,
 * and how (see `broker-control.ts`).
 * Teardown stops only what setup started, unless `FLEET_KEEP_STACK=1` or another run (a
 * demo, a second test run) holds the stack now.
 */
import { request } from 'node:http';
import type { TestProject } from 'vitest/node';
import { freePort } from '@fleet/cli/launcher';
import { ensureStack, releaseStack, stackStatus, type StackComponent } from '@fleet/infra';
import type { BrokerControlSpec } from './broker-control.js';

/** Where this run's broker and registry are. */
export interface ProvidedStack {
  /** Comma-separated bootstrap servers. */
  readonly brokers: string;
  /** Confluent-compatible registry URL (e.g. `http://127.0.0.1:8081/apis/ccompat/v7`). */
  readonly registryUrl: string;
  /** Who supplied them. */
  readonly source: 'env' | 'testcontainers' | 'local';
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: ProvidedStack;
    /** Same value as `kafka`, under the name the shared test helpers use. */
    stack: ProvidedStack;
    /** What the broker faults may do to this run's broker. */
    brokerControl: BrokerControlSpec;
  }
}

const KAFKA_IMAGE = 'apache/kafka:4.4.0';
const REGISTRY_IMAGE = 'apicurio/apicurio-registry:3.3.3';

let teardownFn: (() => Promise<void>) | undefined;

/**
 * Ends this process's hold on the local stack: stops what it `started`, unless another
 * holder (a demo, a second test run) uses the stack now, which is said.
 */
export async function releaseLocalStack(started: readonly StackComponent[]): Promise<void> {
  const { keptFor } = await releaseStack(started, true);
  if (started.length > 0 && keptFor.length > 0)
    console.error(`[infra] the stack this run started keeps running for ${keptFor.join(', ')}`);
}

/** Pings the Docker engine's `/_ping` within 500 ms (unix socket or DOCKER_HOST=tcp://). */
export function dockerAnswers(): Promise<boolean> {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  const target = host.startsWith('unix://')
    ? { socketPath: host.slice('unix://'.length) }
    : host.startsWith('tcp://')
      ? {
          host: new URL(host.replace('tcp://', 'http://')).hostname,
          port: Number(new URL(host.replace('tcp://', 'http://')).port || 2375),
        }
      : undefined;
  if (!target) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

// Typed loosely on purpose: testcontainers is optional and not installed on every machine.
/* eslint-disable @typescript-eslint/no-explicit-any */
async function importOptional(name: string): Promise<any | undefined> {
  try {
    return await import(name);
  } catch {
    return undefined;
  }
}

/** This run's broker and registry, and what may be done to the broker. */
interface ChosenStack {
  readonly stack: ProvidedStack;
  readonly control: BrokerControlSpec;
}

/** Starts apache/kafka (KRaft, single node) and Apicurio Registry with testcontainers. */
async function startContainers(): Promise<ChosenStack | undefined> {
  const tc = await importOptional('testcontainers');
  if (!tc) return undefined;
  const { GenericContainer, Wait } = tc;
  // A free host port, fixed = container port, so the advertised listener is right for host clients.
  const port = await freePort();
  const kafka = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: port, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${port},CONTROLLER://localhost:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_NUM_PARTITIONS: '6',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  try {
    const registry = await new GenericContainer(REGISTRY_IMAGE)
      .withExposedPorts(8080)
      .withEnvironment({
        APICURIO_CCOMPAT_LEGACY_ID_MODE_ENABLED: 'false',
        APICURIO_CCOMPAT_USE_CANONICAL_HASH: 'true',
      })
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080).forStatusCode(200))
      .start();
    teardownFn = async () => {
      await registry.stop();
      await kafka.stop();
    };
    const registryUrl = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
    const brokers = `127.0.0.1:${port}`;
    return {
      stack: { brokers, registryUrl, source: 'testcontainers' },
      // The test files run in other processes: they reach the container by id, through Docker.
      control: { kind: 'container', containerId: kafka.getId() as string, brokers },
    };
  } catch (err) {
    await kafka.stop();
    throw err;
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

async function chooseStack(): Promise<ChosenStack> {
  const { KAFKA_BROKERS: brokers, SCHEMA_REGISTRY_URL: registryUrl } = process.env;
  if (brokers && registryUrl) {
    return {
      stack: { brokers, registryUrl, source: 'env' },
      control: {
        kind: 'none',
        reason: `KAFKA_BROKERS (${brokers}) names a broker this run did not start and cannot stop`,
      },
    };
  }
  if (await dockerAnswers()) {
    const fromContainers = await startContainers();
    if (fromContainers) return fromContainers;
  }
  const stack = await ensureStack({ onProgress: (line) => console.error(`[infra] ${line}`), hold: true });
  // Stops what this run started, unless another run (a demo, a second test run) uses it now.
  teardownFn = () => releaseLocalStack(stack.started);
  const status = await stackStatus();
  return {
    stack: { brokers: stack.brokers, registryUrl: stack.registryUrl, source: 'local' },
    // The local stack's pid file names the broker only when this checkout started it.
    control:
      status.kafka.pid !== undefined
        ? { kind: 'local' }
        : {
            kind: 'none',
            reason: `the broker on ${stack.brokers} answers but was not started from this checkout (no live broker pid under ${status.stateDir}); stop it and let the suite start its own`,
          },
  };
}

/** Vitest global setup hook. */
export async function setup(project: TestProject): Promise<void> {
  const { stack, control } = await chooseStack();
  process.env.KAFKA_BROKERS = stack.brokers;
  process.env.SCHEMA_REGISTRY_URL = stack.registryUrl;
  project.provide('kafka', stack);
  project.provide('stack', stack);
  project.provide('brokerControl', control);
}

/** Vitest global teardown hook: stops what setup started, unless FLEET_KEEP_STACK=1. */
export async function teardown(): Promise<void> {
  if (process.env.FLEET_KEEP_STACK === '1' || !teardownFn) return;
  await teardownFn();
  teardownFn = undefined;
}
