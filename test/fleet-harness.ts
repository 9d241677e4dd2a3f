import { MODEL_NAMES } from '@fleet/contract';
import { dlqTopic, ensureFleetTopics, type AdminClient, type CommonConfig, type FleetProcess } from '@fleet/core';
import { createModelProcess, type RideModel } from '@fleet/scoring';
import { createDecisionListener, createRidePublisher, type ReceivedDecision, type RidePublisher } from '@fleet/backend';
import { createDecisionProcess } from '@fleet/decision';
import { randomName, stack, testKafka, testLogger, testRegistry } from './helpers.js';

/** A whole fleet on random topics and groups, in this process, on the real broker, registry and models. */
export interface FleetHarness {
  config: CommonConfig;
  topics: { rides: string; predictions: string; decisions: string; ridesDlq: string; predictionsDlq: string };
  models: Record<string, RideModel>;
  processes: FleetProcess<CommonConfig>[];
  publisher: RidePublisher;
  decisions: ReceivedDecision[];
  admin: AdminClient;
  stop(): Promise<void>;
}

/**
 * Starts the fleet: the 3 model processes and the decision process, each built by its one
 * composition with the production settings (only topics, groups and the join timeout
 * differ), sharing this test run's Kafka client, registry and logger; a publisher and a
 * listener.
 */
export async function startFleet(options: { partitions?: number; joinTimeoutMs?: number } = {}): Promise<FleetHarness> {
  const { brokers, registryUrl } = stack();
  const prefix = randomName('fleet');
  const env = {
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registryUrl,
    TOPIC_RIDES: `${prefix}.ride_started`,
    TOPIC_PREDICTIONS: `${prefix}.predictions`,
    TOPIC_DECISIONS: `${prefix}.ride_decisions`,
    DECISION_JOIN_TIMEOUT_MS: String(options.joinTimeoutMs ?? 20_000),
  };
  const kafka = testKafka('fleet-harness');
  const shared = { kafka, registry: testRegistry(), logger: testLogger() };
  const admin = await kafka.admin();
  const processes: FleetProcess<CommonConfig>[] = [];
  const models: Record<string, RideModel> = {};
  for (const model of MODEL_NAMES) {
    const proc = await createModelProcess({ model }, { ...shared, env: { ...env, GROUP_ID: `${prefix}.${model}` } });
    models[model] = proc.model;
    processes.push(proc);
  }
  processes.push(await createDecisionProcess({ ...shared, env: { ...env, GROUP_ID: `${prefix}.decision` } }));
  const { config } = processes[0];
  const topics = { rides: config.topicRides, predictions: config.topicPredictions, decisions: config.topicDecisions };
  await ensureFleetTopics(admin, topics, options.partitions ?? 3);
  await Promise.all(processes.map((p) => p.service.start()));
  const decisions: ReceivedDecision[] = [];
  const listener = await createDecisionListener({
    ...shared,
    topic: topics.decisions,
    onDecision: (d) => decisions.push(d),
  });
  await listener.start();
  const publisher = await createRidePublisher(kafka, shared.registry, topics.rides);
  return {
    config,
    topics: { ...topics, ridesDlq: dlqTopic(topics.rides), predictionsDlq: dlqTopic(topics.predictions) },
    models,
    processes,
    publisher,
    decisions,
    admin,
    async stop() {
      await publisher.close();
      await listener.stop();
      await Promise.all(processes.map((p) => p.stop()));
      await admin
        .deleteTopics([...Object.values(topics), dlqTopic(topics.rides), dlqTopic(topics.predictions)])
        .catch((err: unknown) => console.warn(`could not delete the harness topics: ${String(err)}`));
      await admin.disconnect();
    },
  };
}
