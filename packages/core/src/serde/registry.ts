import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { FleetError, isFleetError } from '@fleet/contract';

/** How long an id the registry does not know is remembered as unknown. */
const UNKNOWN_ID_TTL_MS = 60_000;

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

/** The schema registry as the serde needs it: register under BACKWARD, look up by id. */
export interface Registry {
  /** Sets BACKWARD compatibility on `subject` explicitly, then registers `schema`; returns its id. */
  register(subject: string, schema: object): Promise<number>;
  /**
   * The id of `schema` when it is registered under `subject`, else undefined. A read
   * (`POST /subjects/{subject}`, which Confluent's registry authorizes as a subject read):
   * services whose schemas `fleet init` registered need no write access.
   */
  lookup(subject: string, schema: object): Promise<number | undefined>;
  /** The Avro type of schema `id`, cached after the first call (warm lookups make no HTTP call). */
  typeById(id: number): Promise<avro.Type>;
}

/** Compatibility level the fleet sets on each subject it registers. */
export const SUBJECT_COMPATIBILITY = 'BACKWARD';

/** Creates a {@link Registry} on @kafkajs/confluent-schema-registry. */
export function createRegistry(connection: RegistryConnection): Registry {
  const auth = connection.username ? { username: connection.username, password: connection.password ?? '' } : undefined;
  const client = new SchemaRegistry({
    host: connection.url,
    auth,
    retry: {
      retries: REGISTRY_ATTEMPTS - 1,
      enableRetry: () => true,
      // The client's default retries only 5xx answers; a call that timed out is sent again too.
      validateRetry: (response) => response.responseStatus >= 500 || response.error()?.name === 'TimeoutError',
    },
    middlewares: [requestTimeout(connection.requestTimeoutMs ?? REGISTRY_REQUEST_TIMEOUT_MS)],
  });
  const types = new Map<number, Promise<avro.Type>>();
  return {
    async register(subject, schema) {
      await setCompatibility(connection, subject, auth);
      try {
        const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
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
        type = lookup(client, id);
        types.set(id, type);
        type.catch((err: unknown) => {
          // An unknown id (or one of no Avro schema) stays so for a while: a burst of such
          // records costs one HTTP call, not one each. Any other failure (registry down) is
          // retried on the next record.
          if (isFleetError(err, 'FLEET_SERDE_UNKNOWN_SCHEMA') || isFleetError(err, 'FLEET_SERDE_WRONG_SCHEMA'))
            setTimeout(() => types.delete(id), UNKNOWN_ID_TTL_MS).unref();
          else types.delete(id);
        });
      }
      return type;
    },
  };
}

async function lookup(client: SchemaRegistry, id: number): Promise<avro.Type> {
  let schema: { schema(): object };
  try {
    schema = (await client.getSchema(id)) as unknown as { schema(): object };
  } catch (err) {
    throw registryError(err, `looking up schema id ${id}`);
  }
  // A JSON Schema or Protobuf id (a producer on another serializer; Apicurio numbers every
  // artifact type alike) is the record's fault, not the registry's: not retried.
  const kind = client.cache.getSchema(id)?.type;
  if (kind !== SchemaType.AVRO) {
    throw new FleetError('FLEET_SERDE_WRONG_SCHEMA', `schema id ${id} is a ${String(kind)} schema, not Avro`, {
      context: { schemaId: id, schemaType: String(kind) },
    });
  }
  try {
    // Re-create the type with our own avsc so resolvers are built by one library instance.
    return avro.Type.forSchema(schema.schema() as avro.Schema);
  } catch (err) {
    throw new FleetError('FLEET_SERDE_WRONG_SCHEMA', `schema id ${id} is no Avro schema avsc can read`, {
      cause: err,
      context: { schemaId: id },
    });
  }
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
      response.status >= 500 ? 'FLEET_REGISTRY_UNAVAILABLE' : 'FLEET_REGISTRY_REJECTED',
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

/** Classifies an error of the registry client into the fleet's codes. */
function registryError(err: unknown, doing: string): FleetError {
  const message = err instanceof Error ? err.message : String(err);
  // The registry client (mappersmith) reports a connection that failed, or a call that timed
  // out, as a response with status 400 ("connect ECONNREFUSED ...", "Timeout (10000ms)"): a
  // registry that is down or hung, not a rejection.
  const status = NETWORK_FAILURE.test(message) ? undefined : (err as { status?: number }).status;
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
