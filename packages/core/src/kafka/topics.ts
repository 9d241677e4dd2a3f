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
  /** Outcomes of the rides (the monitor's input), created when given. */
  completed?: string;
  /** The monitor's model_health records, created when given. */
  health?: string;
}

/**
 * The specs of the fleet's topics, their dead-letter topics included. DLQs keep records
 * for 14 days so an operator has time to look at them. `model_health` is small (a few
 * records per model and window every few seconds): one partition keeps it in order.
 */
export function fleetTopicSpecs(topics: FleetTopics, partitions: number, replicationFactor = 1): TopicSpec[] {
  const dlqConfigs = { 'retention.ms': String(14 * 24 * 3600 * 1000) };
  return [
    { topic: topics.rides, partitions, replicationFactor },
    { topic: topics.predictions, partitions, replicationFactor },
    { topic: topics.decisions, partitions, replicationFactor },
    { topic: dlqTopic(topics.rides), partitions: 1, replicationFactor, configs: dlqConfigs },
    { topic: dlqTopic(topics.predictions), partitions: 1, replicationFactor, configs: dlqConfigs },
    ...(topics.completed
      ? [
          // Keyed by ride_id like `predictions`, with as many partitions.
          { topic: topics.completed, partitions, replicationFactor },
          { topic: dlqTopic(topics.completed), partitions: 1, replicationFactor, configs: dlqConfigs },
        ]
      : []),
    ...(topics.health ? [{ topic: topics.health, partitions: 1, replicationFactor }] : []),
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
