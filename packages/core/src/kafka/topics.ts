import type { AdminClient, TopicSpec } from './types.js';

/** Suffix of a topic's dead-letter topic. */
export const DLQ_SUFFIX = '.dlq';

/** The dead-letter topic of `topic`. */
export function dlqTopic(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

/** Names of the fleet's topics. */
export interface FleetTopics {
  rides: string;
  predictions: string;
  decisions: string;
}

/**
 * The specs of the fleet's topics, their dead-letter topics included. DLQs keep records
 * for 14 days so an operator has time to look at them.
 */
export function fleetTopicSpecs(topics: FleetTopics, partitions: number, replicationFactor = 1): TopicSpec[] {
  const dlqConfigs = { 'retention.ms': String(14 * 24 * 3600 * 1000) };
  return [
    { topic: topics.rides, partitions, replicationFactor },
    { topic: topics.predictions, partitions, replicationFactor },
    { topic: topics.decisions, partitions, replicationFactor },
    { topic: dlqTopic(topics.rides), partitions: 1, replicationFactor, configs: dlqConfigs },
    { topic: dlqTopic(topics.predictions), partitions: 1, replicationFactor, configs: dlqConfigs },
  ];
}

/** Creates whichever of the fleet's topics do not exist yet. */
export async function ensureFleetTopics(
  admin: AdminClient,
  topics: FleetTopics,
  partitions: number,
  replicationFactor = 1,
): Promise<void> {
  await admin.createTopics(fleetTopicSpecs(topics, partitions, replicationFactor));
}
