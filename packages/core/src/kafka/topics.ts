import { FleetError } from '@fleet/contract';
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

/**
 * Creates whichever of the fleet's topics do not exist yet, then checks the partitions of
 * those that did ({@link layoutProblems}): an existing topic is kept as it is.
 */
export async function ensureFleetTopics(
  admin: AdminClient,
  topics: FleetTopics,
  partitions: number,
  replicationFactor = 1,
): Promise<void> {
  await admin.createTopics(fleetTopicSpecs(topics, partitions, replicationFactor));
  const named = [topics.predictions, topics.decisions, topics.completed, topics.health].filter(
    (t): t is string => t !== undefined,
  );
  const counts = new Map(
    await Promise.all(named.map(async (t) => [t, (await admin.fetchEndOffsets(t)).length] as const)),
  );
  const problems = layoutProblems(topics, counts);
  if (problems.length > 0) {
    throw new FleetError(
      'FLEET_CONFIG_INVALID',
      `the fleet's topics exist with partitions it cannot work with: ${problems.join('; ')}. ` +
        'Recreate the topic named (its records are lost), or name other topics (TOPIC_*).',
    );
  }
}

/**
 * What is wrong with the partitions of the fleet's topics (`counts`, by topic): the decision
 * service reads back its past decisions partition by partition, and the monitor joins
 * predictions and outcomes the same way, so `predictions`, `ride_decisions` and
 * `ride_completed` need as many partitions each; `model_health` one, to stay in order.
 */
export function layoutProblems(topics: FleetTopics, counts: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  const base = counts.get(topics.predictions);
  for (const other of [topics.decisions, topics.completed]) {
    const n = other === undefined ? undefined : counts.get(other);
    if (other !== undefined && n !== undefined && base !== undefined && n !== base)
      problems.push(`${other} has ${n} partitions where ${topics.predictions} has ${base}`);
  }
  const health = topics.health === undefined ? undefined : counts.get(topics.health);
  if (health !== undefined && health !== 1) problems.push(`${topics.health} has ${health} partitions, not 1`);
  return problems;
}
