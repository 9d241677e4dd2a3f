import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMAS_DIR } from './paths.js';

/** The Avro schemas of the wire contract, by file name in `schemas/`. */
export type SchemaName = 'ride_started' | 'prediction' | 'ride_decision' | 'ride_completed' | 'model_health';

const cache = new Map<SchemaName, object>();

/** The parsed Avro schema `schemas/<name>.avsc`. */
export function loadSchema(name: SchemaName): object {
  let schema = cache.get(name);
  if (!schema) {
    schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, `${name}.avsc`), 'utf8')) as object;
    cache.set(name, schema);
  }
  return schema;
}

/** The registry subject of a topic's values (Confluent's TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
