import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { FleetError, isRetriable } from '@fleet/contract';
import { backoffDelay } from '../retry.js';

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

/** Answers of a registry too busy to serve the call now (timed out, throttled): sent again. */
const BUSY_STATUSES: ReadonlySet<number> = new Set([408, 429]);

/** Answers refusing the service's credentials. */
const AUTH_STATUSES: ReadonlySet<number> = new Set([401, 403]);

/**
 * Longest one HTTP call to the registry may take before it is sent again. A registry that
 * does not answer is then unavailable (retried by the caller like one that is down), not
 * waited for without end: a call of `fleet init` here once hung for minutes on a registry
 * that never answered it.
 */
export const REGISTRY_REQUEST_TIMEOUT_MS = 5_000;

/**
 * Attempts of one registry call that timed out (sent again on a new connection), lost its
 * connection or met a 5xx. Every call the fleet makes is safe to send again: lookups and
 * reads, the subject's compatibility (set to the same value), and a registration (a schema
 * registered already gives its id). A stress loop against the real registry met one call
 * that got no answer in 45,000 rounds of a registration and a refused one (CI met one too),
 * while the calls after it were answered as usual.
 */
const REGISTRY_ATTEMPTS = 3;

/** A middleware of the registry client (mappersmith's, as the client's constructor takes it). */
type RegistryMiddleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

/** Gives each call of the registry client that has none a timeout of `ms`. */
function requestTimeout(ms: number): RegistryMiddleware {
  return () => ({
    async prepareRequest(next) {
      const request = await next();
      return request.timeout() ? request : request.enhance({ timeout: ms });
    },
  });
}

/** Connection settings of a Confluent-compatible schema registry. */
export interface RegistryConnection {
  /** Base URL of the Confluent API, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  url: string;
  /** Basic auth, when the registry requires it. */
  username?: string;
  password?: string;
  /**
   * Longest one HTTP call may take before it is sent again.
   * @default {@link REGISTRY_REQUEST_TIMEOUT_MS}
   */
  requestTimeoutMs?: number;
}

/** The schema registry as the serde needs it: register under {@link SUBJECT_COMPATIBILITY}, look up by id. */
export interface Registry {
  /** Sets {@link SUBJECT_COMPATIBILITY} on `subject` explicitly, then registers `schema`; returns its id. */
  register(subject: string, schema: object): Promise<number>;
  /**
   * The id of `schema` when it is registered under `subject`, else undefined. A read
   * (`POST /subjects/{subject}`, which Confluent's registry authorizes as a subject read):
   * services whose schemas `fleet init` registered need no write access.
   */
  lookup(subject: string, schema: object): Promise<number | undefined>;
  /**
   * The Avro type of schema `id`, cached after the first call (warm lookups make no HTTP call).
   * Rejects, not retriable and remembered for a minute, with FLEET_SERDE_UNKNOWN_SCHEMA for an
   * id the registry does not know (asked again a few times first: a replica may lag) and
   * FLEET_SERDE_WRONG_SCHEMA for a schema that is no Avro schema the client can read; with a
   * retriable FLEET_REGISTRY_UNAVAILABLE or FLEET_REGISTRY_REJECTED when the registry is down,
   * busy (408, 429) or refuses the service's credentials (401, 403).
   */
  typeById(id: number): Promise<avro.Type>;
}

/**
 * Compatibility level the fleet sets on each subject it registers: every version must read
 * records of every other, in both directions (FULL), against all of them (TRANSITIVE). A
 * service still on an older schema then reads what a newer producer writes (a new field
 * needs a default; a new enum symbol is refused unless the enum has a default), and replays
 * and backfills read the oldest records with the newest schema. BACKWARD alone let a
 * producer register a change every older consumer would dead-letter.
 */
export const SUBJECT_COMPATIBILITY = COMPATIBILITY.FULL_TRANSITIVE;

/** Creates a {@link Registry} on @kafkajs/confluent-schema-registry. */
export function createRegistry(connection: RegistryConnection): Registry {
  const auth = connection.username ? { username: connection.username, password: connection.password ?? '' } : undefined;
  const client = new SchemaRegistry({
    host: connection.url,
    auth,
    retry: {
      retries: REGISTRY_ATTEMPTS - 1,
      enableRetry: () => true,
      // The client's default retries only 5xx answers; a call that timed out, or that a busy
      // registry did not serve (408, 429), is sent again too.
      validateRetry: (response) =>
        response.responseStatus >= 500 ||
        BUSY_STATUSES.has(response.responseStatus) ||
        response.error()?.name === 'TimeoutError',
    },
    middlewares: [requestTimeout(connection.requestTimeoutMs ?? REGISTRY_REQUEST_TIMEOUT_MS)],
  });
  const types = new Map<number, Promise<avro.Type>>();
  const mayWaitForReplica = budget(UNKNOWN_ID_WAITS_PER_TTL, UNKNOWN_ID_TTL_MS);
  return {
    async register(subject, schema) {
      await setCompatibility(connection, subject, auth);
      try {
        // The client checks that the subject's level is the one it is told (BACKWARD unless told).
        const { id } = await client.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
          { subject, compatibility: SUBJECT_COMPATIBILITY },
        );
        return id;
      } catch (err) {
        throw registryError(err, `registering a schema under subject ${subject}`);
      }
    },
    async lookup(subject, schema) {
      try {
        return await client.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: JSON.stringify(schema) });
      } catch (err) {
        // Subject or schema not there (40401, 40403): not registered yet.
        if (notFound(err)) return undefined;
        throw registryError(err, `looking up a schema under subject ${subject}`);
      }
    },
    typeById(id) {
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
    },
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

async function setCompatibility(
  connection: RegistryConnection,
  subject: string,
  auth: { username: string; password: string } | undefined,
): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const put = async (): Promise<Response> => {
    // fetch rejects only when no answer came (refused, reset, timed out): sent again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(`${connection.url}/config/${encodeURIComponent(subject)}`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({ compatibility: SUBJECT_COMPATIBILITY }),
          signal: AbortSignal.timeout(connection.requestTimeoutMs ?? REGISTRY_REQUEST_TIMEOUT_MS),
        });
      } catch (err) {
        if (attempt >= REGISTRY_ATTEMPTS)
          throw registryError(err, `setting ${SUBJECT_COMPATIBILITY} compatibility on ${subject}`);
      }
    }
  };
  let response = await put();
  // Apicurio answers 409 "rule already exists" when another service created the subject's
  // rule at the same moment (services start together); the rule exists now, so a second PUT
  // updates it.
  for (let attempt = 0; response.status === 409 && attempt < 3; attempt++) response = await put();
  if (!response.ok) {
    throw new FleetError(
      response.status >= 500 || BUSY_STATUSES.has(response.status)
        ? 'FLEET_REGISTRY_UNAVAILABLE'
        : 'FLEET_REGISTRY_REJECTED',
      `schema registry refused ${SUBJECT_COMPATIBILITY} compatibility on ${subject}: HTTP ${response.status} ${await response.text()}`,
      { context: { subject } },
    );
  }
}

/** Whether the registry answered that a subject or schema does not exist. */
function notFound(err: unknown): boolean {
  const status = (err as { status?: number }).status;
  // Apicurio's ccompat API words a schema missing under an existing subject its own way.
  return (
    status === 404 || /not found|does not match any schema/i.test(err instanceof Error ? err.message : String(err))
  );
}

const NETWORK_FAILURE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|socket hang up|Timeout \(\d+ms\)/;

/**
 * The HTTP status the registry answered with, if it answered. The registry client (mappersmith)
 * reports a connection that failed, or a call that timed out, as a response with status 400
 * ("connect ECONNREFUSED ...", "Timeout (10000ms)"): a registry that is down or hung, not a
 * rejection.
 */
function httpStatus(err: unknown): number | undefined {
  const message = err instanceof Error ? err.message : String(err);
  return NETWORK_FAILURE.test(message) ? undefined : (err as { status?: number } | null)?.status;
}

/** Classifies an error of the registry client into the fleet's codes. */
function registryError(err: unknown, doing: string): FleetError {
  const message = err instanceof Error ? err.message : String(err);
  const status = httpStatus(err);
  if (status === 404) {
    return new FleetError('FLEET_SERDE_UNKNOWN_SCHEMA', `schema registry has no such schema ${doing}: ${message}`, {
      cause: err,
    });
  }
  if (status === 409 || /incompatible/i.test(message)) {
    return new FleetError('FLEET_REGISTRY_INCOMPATIBLE', `schema refused as incompatible ${doing}: ${message}`, {
      cause: err,
    });
  }
  if (status !== undefined && BUSY_STATUSES.has(status)) {
    return new FleetError(
      'FLEET_REGISTRY_UNAVAILABLE',
      `schema registry too busy to answer (HTTP ${status}) ${doing}: ${message}. Retried with backoff`,
      { cause: err },
    );
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new FleetError('FLEET_REGISTRY_REJECTED', `schema registry rejected the request ${doing}: ${message}`, {
      cause: err,
    });
  }
  return new FleetError(
    'FLEET_REGISTRY_UNAVAILABLE',
    `schema registry unavailable ${doing}: ${message}. Is it running (npx fleet infra status) and is SCHEMA_REGISTRY_URL right?`,
    { cause: err },
  );
}
