import { SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { FleetError, isRetriable } from '@fleet/contract';
import { backoffDelay } from '../retry.js';
import { httpStatus, registryError } from './registry-errors.js';

/** How long an id the registry does not know (or answers with a schema no one can read) is remembered so. */
const UNKNOWN_ID_TTL_MS = 60_000;

/**
 * Attempts of a lookup by id the registry answers 404. A replica that has not caught up with
 * a schema registered on another one a moment ago (a producer's first records with it)
 * answers 404 until it has; the waits between attempts (~0.3 s, then ~0.6 s) cover that.
 */
const UNKNOWN_ID_ATTEMPTS = 3;

/** Wait before the second attempt of an id answered 404 (with jitter, doubled for the third). */
const UNKNOWN_ID_RETRY_MS = 300;

/**
 * Ids whose 404 is waited out per {@link UNKNOWN_ID_TTL_MS}; later ones are unknown at once.
 * Records of made-up ids, each a different one, then hold a batch up a few seconds a minute
 * at most, not a second each.
 */
const UNKNOWN_ID_WAITS_PER_TTL = 4;

/** Answers refusing the service's credentials. */
const AUTH_STATUSES: ReadonlySet<number> = new Set([401, 403]);

/**
 * The registry's `typeById` on `client` (its contract is documented on `Registry.typeById` in
 * registry.ts): the Avro type of a schema id, looked up once, then cached.
 */
export function createTypeLookup(client: SchemaRegistry): (id: number) => Promise<avro.Type> {
  const types = new Map<number, Promise<avro.Type>>();
  const mayWaitForReplica = budget(UNKNOWN_ID_WAITS_PER_TTL, UNKNOWN_ID_TTL_MS);
  return (id) => {
    let type = types.get(id);
    if (!type) {
      type = lookup(client, id, mayWaitForReplica);
      types.set(id, type);
      type.catch((err: unknown) => {
        // An answer that dead-letters the record (an unknown id, one of no Avro schema) stays
        // so for a while: a burst of such records costs one HTTP call, not one each. A
        // failure of the registry (down, busy, refusing us) is asked again on the next record.
        if (isRetriable(err)) types.delete(id);
        else setTimeout(() => types.delete(id), UNKNOWN_ID_TTL_MS).unref();
      });
    }
    return type;
  };
}

async function lookup(client: SchemaRegistry, id: number, mayWaitForReplica: () => boolean): Promise<avro.Type> {
  const schema = await writerSchema(client, id, mayWaitForReplica);
  // A JSON Schema or Protobuf id (a producer on another serializer; Apicurio numbers every
  // artifact type alike) is the record's fault, not the registry's: not retried.
  const kind = client.cache.getSchema(id)?.type;
  if (kind !== SchemaType.AVRO) {
    throw new FleetError('FLEET_SERDE_WRONG_SCHEMA', `schema id ${id} is a ${String(kind)} schema, not Avro`, {
      context: { schemaId: id, schemaType: String(kind) },
    });
  }
  // Re-created with our own avsc so resolvers are built by one library instance. The client
  // parsed this very schema with avsc already, so this parse cannot fail.
  return avro.Type.forSchema(schema.schema() as avro.Schema);
}

/**
 * Schema `id` as the registry client parsed it. The client compiles what the registry returns
 * (avsc, Ajv, protobufjs) and throws its argument error, with no HTTP status, for a schema it
 * cannot: one of another serializer it cannot compile (a JSON Schema of draft 2020-12, a
 * `format` Ajv does not know), or an Avro schema avsc refuses. That is the record's writer's
 * fault, not the registry's. A 404 is asked again a few times (a replica catching up).
 */
async function writerSchema(
  client: SchemaRegistry,
  id: number,
  mayWaitForReplica: () => boolean,
): Promise<{ schema(): object }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await client.getSchema(id)) as unknown as { schema(): object };
    } catch (err) {
      if (err instanceof Error && err.name === 'ConfluentSchemaRegistryArgumentError') {
        throw new FleetError('FLEET_SERDE_WRONG_SCHEMA', `schema id ${id} cannot be read: ${err.message}`, {
          cause: err,
          context: { schemaId: id },
        });
      }
      const waitForReplica =
        httpStatus(err) === 404 && attempt < UNKNOWN_ID_ATTEMPTS && (attempt > 1 || mayWaitForReplica());
      if (!waitForReplica) throw lookupError(err, id);
      await new Promise((resolve) =>
        setTimeout(resolve, backoffDelay(attempt - 1, { initialDelayMs: UNKNOWN_ID_RETRY_MS })),
      );
    }
  }
}

/**
 * A lookup by id that failed. The record only names the id, so a registry that refuses the
 * service's credentials is at fault, not the record: retried like a registry that is down
 * (and logged as such by the batch loop), not dead-lettered.
 */
function lookupError(err: unknown, id: number): FleetError {
  const status = httpStatus(err);
  if (status === undefined || !AUTH_STATUSES.has(status)) return registryError(err, `looking up schema id ${id}`);
  return new FleetError(
    'FLEET_REGISTRY_REJECTED',
    `schema registry refused to give schema id ${id} (HTTP ${status}): ${(err as Error).message}. The records are read again until it does: check SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD and the user's read access`,
    { cause: err, retriable: true, context: { schemaId: id } },
  );
}

/** A gate letting `count` calls through per `windowMs`. */
function budget(count: number, windowMs: number): () => boolean {
  const taken: number[] = [];
  return () => {
    const now = Date.now();
    while (taken.length > 0 && taken[0] <= now - windowMs) taken.shift();
    if (taken.length >= count) return false;
    taken.push(now);
    return true;
  };
}
