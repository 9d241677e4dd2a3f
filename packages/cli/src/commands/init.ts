import { valueSubject } from '@fleet/contract';
import {
  createKafkaClient,
  createLogger,
  createRegistry,
  createTopicSerde,
  ensureFleetTopics,
  kafkaConnection,
  registryConnection,
  retry,
} from '@fleet/core';
import { cliConfig } from '../config.js';
import { parseCommandArgs, positiveNumber } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: npx fleet init [--partitions P]

Prepares a cluster for the fleet: creates the topics that do not exist yet (ride_started,
predictions, ride_decisions and the dead-letter topics; names from TOPIC_*), and registers
the Avro schemas under BACKWARD compatibility. Idempotent; waits for the broker and the
registry to answer. Used by docker-compose and before a first deployment.

  --partitions P  partitions of new topics (default TOPIC_PARTITIONS, 6)
  -h, --help      this help`;

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { partitions: { type: 'string' } });
  const config = cliConfig();
  const partitions = positiveNumber(values.partitions, 'partitions', config.topicPartitions);
  const logger = createLogger({ service: 'fleet-init', level: config.logLevel });
  const topics = { rides: config.topicRides, predictions: config.topicPredictions, decisions: config.topicDecisions };
  const onRetry = (err: unknown, attempt: number, delayMs: number) =>
    logger.warn({ err, attempt, delayMs }, 'not ready, retrying');
  await retry(
    async () => {
      const admin = await createKafkaClient(kafkaConnection(config, 'init'), logger).admin();
      try {
        await ensureFleetTopics(admin, topics, partitions, config.topicReplicationFactor);
      } finally {
        await admin.disconnect();
      }
    },
    { retries: 10, shouldRetry: () => true, onRetry },
  );
  const registry = createRegistry(registryConnection(config));
  const subjects: Array<[string, 'ride_started' | 'prediction' | 'ride_decision']> = [
    [topics.rides, 'ride_started'],
    [topics.predictions, 'prediction'],
    [topics.decisions, 'ride_decision'],
  ];
  for (const [topic, schema] of subjects) {
    const serde = await createTopicSerde(registry, topic, schema, logger);
    console.log(`${valueSubject(topic)}: schema id ${serde.schemaId} (BACKWARD)`);
  }
  console.log(`topics ready: ${Object.values(topics).join(', ')} (+ .dlq)`);
  return 0;
}

/** `fleet init`. */
export const initCommand: Command = {
  name: 'init',
  summary: 'create the topics and register the schemas (idempotent)',
  usage,
  run,
};
