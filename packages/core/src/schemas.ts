import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Avro schemas of the wire contract, by file name in `schemas/`. */
export type SchemaName = 'ride_started' | 'prediction' | 'ride_decision';

/** Directory of the `*.avsc` files (the one source of the wire contract). */
export const SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

const cache = new Map<SchemaName, object>();

/** The parsed Avro schema `schemas/<name>.avsc`. */
export function loadSchema(name: SchemaName): object {
  let schema = cache.get(name);
  if (!schema) {
    schema = JSON.parse(readFileSync(`${SCHEMAS_DIR}${name}.avsc`, 'utf8')) as object;
    cache.set(name, schema);
  }
  return schema;
}

/** The registry subject of a topic's values (Confluent's TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
