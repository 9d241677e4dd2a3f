import { MODEL_NAMES } from '@fleet/contract';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  createTracing,
  dlqTopic,
  ensureFleetTopics,
  type AdminClient,
  type CommonConfig,
  type FleetProcess,
  type Tracing,
} from '@fleet/core';
import { createModelProcess, type RideModel } from '@fleet/scoring';
import { createDecisionListener, createRidePublisher, type ReceivedDecision, type RidePublisher } from '@fleet/backend';
import { createDecisionProcess } from '@fleet/decision';
import { createMonitorProcess, type MonitorProcess } from '@fleet/monitor';
import { randomName, stack, testKafka, testLogger, testRegistry } from './helpers.js';

/** A whole fleet on random topics and groups, in this process, on the real broker, registry and models. */
export interface FleetHarness {
  config: CommonConfig;
  topics: {
    rides: string;
    predictions: string;
    decisions: string;
    ridesDlq: string;
    predictionsDlq: string;
    completed: string;
    health: string;
  };
  models: Record<string, RideModel>;
  processes: FleetProcess<CommonConfig>[];
  /** The monitor, when started with `monitor: true` (also among `processes`). */
  monitor?: MonitorProcess;
  /** The backend's tracing: the root spans of the rides `publisher` sends. */
  tracing: Tracing;
  publisher: RidePublisher;
  decisions: ReceivedDecision[];
  admin: AdminClient;
  stop(): Promise<void>;
}

/** Options of {@link startFleet}. */
export interface FleetOptions {
  partitions?: number;
  joinTimeoutMs?: number;
  /** Starts the monitor process too. */
  monitor?: boolean;
  /** Variables of the monitor on top of the fleet's (windows, thresholds, …). */
  monitorEnv?: Record<string, string>;
  /** Where every process's spans go, the backend's (the publisher's) included. @default none */
  spanExporter?: SpanExporter;
}

/**
 * Starts the fleet: the 3 model processes and the decision process (and the monitor when
 * asked), each built by its one composition with the production settings (only topics,
 * groups and the join timeout differ), sharing this test run's Kafka client, registry and
 * logger; a publisher and a listener.
 */
export async function startFleet(options: FleetOptions = {}): Promise<FleetHarness> {
  const { brokers, registryUrl } = stack();
  const prefix = randomName('fleet');
  const env = {
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registryUrl,
    TOPIC_RIDES: `${prefix}.ride_started`,
    TOPIC_PREDICTIONS: `${prefix}.predictions`,
    TOPIC_DECISIONS: `${prefix}.ride_decisions`,
    TOPIC_COMPLETED: `${prefix}.ride_completed`,
    TOPIC_MODEL_HEALTH: `${prefix}.model_health`,
    DECISION_JOIN_TIMEOUT_MS: String(options.joinTimeoutMs ?? 20_000),
  };
  const kafka = testKafka('fleet-harness');
  const shared = { kafka, registry: testRegistry(), logger: testLogger(), spanExporter: options.spanExporter };
  const admin = await kafka.admin();
  const processes: FleetProcess<CommonConfig>[] = [];
  const models: Record<string, RideModel> = {};
  for (const model of MODEL_NAMES) {
    const proc = await createModelProcess({ model }, { ...shared, env: { ...env, GROUP_ID: `${prefix}.${model}` } });
    models[model] = proc.model;
    processes.push(proc);
  }
  processes.push(await createDecisionProcess({ ...shared, env: { ...env, GROUP_ID: `${prefix}.decision` } }));
  const monitor = options.monitor
    ? await createMonitorProcess({ ...shared, env: { ...env, ...options.monitorEnv, GROUP_ID: `${prefix}.monitor` } })
    : undefined;
  if (monitor) processes.push(monitor);
  const { config } = processes[0];
  const topics = {
    rides: config.topicRides,
    predictions: config.topicPredictions,
    decisions: config.topicDecisions,
    completed: config.topicCompleted,
    health: config.topicModelHealth,
  };
  await ensureFleetTopics(admin, topics, options.partitions ?? 3);
  await Promise.all(processes.map((p) => p.service.start()));
  const decisions: ReceivedDecision[] = [];
  const listener = await createDecisionListener({
    ...shared,
    topic: topics.decisions,
    onDecision: (d) => decisions.push(d),
  });
  await listener.start();
  const tracing = createTracing({ service: 'backend', exporter: 'none', endpoint: '' }, options.spanExporter);
  const publisher = await createRidePublisher(kafka, shared.registry, topics.rides, { tracing });
  return {
    config,
    topics: { ...topics, ridesDlq: dlqTopic(topics.rides), predictionsDlq: dlqTopic(topics.predictions) },
    models,
    processes,
    monitor,
    tracing,
    publisher,
    decisions,
    admin,
    async stop() {
      await publisher.close();
      await listener.stop();
      await Promise.all(processes.map((p) => p.stop()));
      await tracing.shutdown();
      const dlqs = [topics.rides, topics.predictions, topics.completed].map(dlqTopic);
      await admin
        .deleteTopics([...Object.values(topics), ...dlqs])
        .catch((err: unknown) => console.warn(`could not delete the harness topics: ${String(err)}`));
      await admin.disconnect();
    },
  };
}
