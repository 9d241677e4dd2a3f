import {
  commonEnv,
  createModelService,
  dlqTopic,
  ensureFleetTopics,
  loadConfig,
  loadModel,
  defaultModelDir,
  MODEL_NAMES,
  type AdminClient,
  type CommonConfig,
  type ModelRunner,
  type StreamService,
} from '@fleet/core';
import { createDecisionListener, createRidePublisher, type ReceivedDecision, type RidePublisher } from '@fleet/backend';
import { createDecisionService, decisionEnv } from '@fleet/decision';
import { randomName, stack, testKafka, testLogger, testRegistry } from './helpers.js';

/** A whole fleet on random topics and groups, in this process, on the real broker, registry and models. */
export interface FleetHarness {
  config: CommonConfig;
  topics: { rides: string; predictions: string; decisions: string; ridesDlq: string; predictionsDlq: string };
  models: Record<string, ModelRunner>;
  services: StreamService[];
  publisher: RidePublisher;
  decisions: ReceivedDecision[];
  admin: AdminClient;
  stop(): Promise<void>;
}

/** Starts the fleet: 3 model services, the decision service, a publisher and a listener. */
export async function startFleet(options: { partitions?: number; joinTimeoutMs?: number } = {}): Promise<FleetHarness> {
  const { brokers, registryUrl } = stack();
  const prefix = randomName('fleet');
  const env = {
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registryUrl,
    TOPIC_RIDES: `${prefix}.ride_started`,
    TOPIC_PREDICTIONS: `${prefix}.predictions`,
    TOPIC_DECISIONS: `${prefix}.ride_decisions`,
    DECISION_GROUP_ID: `${prefix}.decision`,
    DECISION_JOIN_TIMEOUT_MS: String(options.joinTimeoutMs ?? 20_000),
  };
  const config = loadConfig(commonEnv, env);
  const kafka = testKafka('fleet-harness');
  const registry = testRegistry();
  const logger = testLogger();
  const admin = await kafka.admin();
  const topics = { rides: config.topicRides, predictions: config.topicPredictions, decisions: config.topicDecisions };
  await ensureFleetTopics(admin, topics, options.partitions ?? 3);
  const models: Record<string, ModelRunner> = {};
  const services: StreamService[] = [];
  for (const name of MODEL_NAMES) {
    const model = await loadModel(defaultModelDir(name));
    models[name] = model;
    services.push(
      await createModelService(
        config,
        { groupId: `${prefix}.${name}`, sessionTimeoutMs: 30_000, maxBytesPerPartition: 1_048_576 },
        {
          kafka,
          registry,
          logger,
          scorer: {
            name,
            version: model.version,
            unit: model.card.target.unit,
            score: (rides) => model.predictUnchecked(rides),
          },
        },
      ),
    );
  }
  services.push(await createDecisionService(loadConfig(decisionEnv, env), { kafka, registry, logger }));
  await Promise.all(services.map((s) => s.start()));
  const decisions: ReceivedDecision[] = [];
  const listener = await createDecisionListener({
    kafka,
    registry,
    topic: topics.decisions,
    logger,
    onDecision: (d) => decisions.push(d),
  });
  await listener.start();
  const publisher = await createRidePublisher(kafka, registry, topics.rides);
  return {
    config,
    topics: { ...topics, ridesDlq: dlqTopic(topics.rides), predictionsDlq: dlqTopic(topics.predictions) },
    models,
    services,
    publisher,
    decisions,
    admin,
    async stop() {
      await publisher.close();
      await listener.stop();
      await Promise.all(services.map((s) => s.stop()));
      await Promise.all(Object.values(models).map((m) => m.close()));
      await admin
        .deleteTopics([...Object.values(topics), dlqTopic(topics.rides), dlqTopic(topics.predictions)])
        .catch(() => undefined);
      await admin.disconnect();
    },
  };
}
