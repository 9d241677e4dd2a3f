import type { Logger } from '../logger.js';
import { retry } from '../retry.js';
import { loadSchema, valueSubject, type SchemaName } from '@fleet/contract';
import { createSerde, type Serde } from './avro-serde.js';
import type { Registry } from './registry.js';

/**
 * The serde of `topic`'s values with the schema `schemas/<schema>.avsc`, registered under
 * `<topic>-value`. While the registry is not ready (a service starting before it), retries
 * with backoff and logs one line per attempt.
 */
export function createTopicSerde<T>(
  registry: Registry,
  topic: string,
  schema: SchemaName,
  log: Logger,
): Promise<Serde<T>> {
  return retry(() => createSerde<T>(registry, valueSubject(topic), loadSchema(schema)), {
    retries: 10,
    onRetry: (err, attempt, delayMs) =>
      log.warn({ reason: (err as Error).message, attempt, delayMs, topic }, 'schema registry not ready, retrying'),
  });
}
