import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFleetError, loadRideCsv, MODEL_NAMES, type RideStarted } from '@fleet/contract';
import {
  createKafkaClient,
  createRegistry,
  kafkaConnection,
  type FleetProcess,
  type CommonConfig,
  type KafkaClient,
} from '@fleet/core';
import { createDecisionListener, createRidePublisher, type ReceivedDecision } from '@fleet/backend';
import { createDecisionProcess } from '@fleet/decision';
import { createModelProcess } from '@fleet/scoring';
import { eventually, randomName, testLogger } from '../helpers.js';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../timing.js';
import { startRegistryGate, type RegistryGate } from './registry-gate.js';
import { configAs, SECURE_STACK_MS, secureStack, type SecureStack } from './secure-stack.js';

const RIDES = 60;
const JOIN_TIMEOUT_MS = 20_000;
/** Every service joins its group (a first join), then the rides are scored, joined and decided. */
const DECIDED_WITHIN_MS = REBALANCE_TIMEOUT_MS + JOIN_TIMEOUT_MS + WORK_ALLOWANCE_MS;

async function testRides(): Promise<RideStarted[]> {
  const { rows } = await loadRideCsv(new URL('../../models/data/test_rides.csv', import.meta.url).pathname);
  const rides = rows.flatMap((r) => (r.ok ? [r.ride] : []));
  const run = randomName('secure');
  return rides.slice(0, RIDES).map((ride, i) => ({ ...ride, ride_id: `${run}-${i}`, event_time: Date.now() }));
}

/** The seam's client as `user` on the secure broker, counting the clients it connects. */
function countingKafka(config: CommonConfig, user: string): { kafka: KafkaClient; made: string[] } {
  const made: string[] = [];
  const real = createKafkaClient(kafkaConnection(config, user), testLogger());
  const kafka: KafkaClient = {
    ...real,
    producer: () => (made.push('producer'), real.producer()),
    consumer: (options) => (made.push('consumer'), real.consumer(options)),
  };
  return { kafka, made };
}

describe('the whole fleet over SASL_SSL, one principal per service', () => {
  let secure: SecureStack;
  let gate: RegistryGate;
  const processes: FleetProcess<CommonConfig>[] = [];

  beforeAll(async () => {
    secure = await secureStack();
    gate = await startRegistryGate(secure.registryUrl);
  }, testTimeoutMs(SECURE_STACK_MS));
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await gate?.close();
  });

  it(
    'decides every ride, with services that only read the schemas fleet init registered',
    { timeout: testTimeoutMs(WORK_ALLOWANCE_MS, DECIDED_WITHIN_MS) },
    async () => {
      const logger = testLogger();
      // Each process composed as its main does, from its own principal's variables; the
      // registry only through the read-only gate.
      const envOf = (user: string) => ({
        ...secure.env(user),
        SCHEMA_REGISTRY_URL: gate.url,
        DECISION_JOIN_TIMEOUT_MS: String(JOIN_TIMEOUT_MS),
      });
      for (const model of MODEL_NAMES)
        processes.push(await createModelProcess({ model }, { logger, env: envOf(model) }));
      processes.push(await createDecisionProcess({ logger, env: envOf('decision') }));
      await Promise.all(processes.map((p) => p.service.start()));

      const backend = configAs(secure, 'backend');
      const kafka = createKafkaClient(kafkaConnection(backend, 'backend'), logger);
      const registry = createRegistry({ url: gate.url });
      const decided = new Map<string, ReceivedDecision>();
      const listener = await createDecisionListener({
        kafka,
        registry,
        logger,
        topic: backend.topicDecisions,
        onDecision: (d) => decided.set(d.ride_id, d),
      });
      await listener.start();
      const publisher = await createRidePublisher(kafka, registry, backend.topicRides);
      try {
        const rides = await testRides();
        await publisher.publish(rides);
        const ids = new Set(rides.map((r) => r.ride_id));
        const mine = () => [...decided.values()].filter((d) => ids.has(d.ride_id));
        await eventually(() => mine().length === ids.size, `${ids.size} decisions`, DECIDED_WITHIN_MS);
        expect(mine().every((d) => d.complete && d.missing_models.length === 0)).toBe(true);
      } finally {
        await publisher.close();
        await listener.stop();
      }
      expect(gate.requests.filter((r) => !r.forwarded)).toEqual([]);
      expect(gate.requests.filter((r) => r.method !== 'GET' && r.method !== 'POST')).toEqual([]);
    },
  );

  it(
    'stops a service for good, once, at start when the broker refuses it its output topic (no crash loop)',
    { timeout: testTimeoutMs(REBALANCE_TIMEOUT_MS, WORK_ALLOWANCE_MS) },
    async () => {
      await Promise.all(processes.splice(0).map((p) => p.stop()));
      // The duration service may read its rides in its group, but predictions.dlq is the
      // decision service's to write: the service learns it at start, when it loads the
      // metadata of its output topic, not from a refused batch later.
      const env = { ...secure.env('duration'), TOPIC_PREDICTIONS: 'predictions.dlq' };
      const { kafka, made } = countingKafka(configAs(secure, 'duration'), 'duration');
      const proc = await createModelProcess({ model: 'duration' }, { logger: testLogger(), env, kafka });
      processes.push(proc);
      const refused = await proc.service.start().catch((err: unknown) => err);
      expect(isFleetError(refused, 'FLEET_KAFKA_NOT_AUTHORIZED')).toBe(true);
      expect((refused as Error).message).toMatch(
        /user "duration" is not authorized to read the metadata of predictions\.dlq/,
      );
      expect(await proc.service.failed.catch((err: unknown) => err)).toBe(refused);
      expect(proc.service.live).toBe(false);
      // No consumer, no second producer: the refusal is not retried.
      expect(made).toEqual(['producer']);
    },
  );
});
