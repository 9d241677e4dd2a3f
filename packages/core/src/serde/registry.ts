import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import { FleetError } from '@fleet/contract';
import { BUSY_STATUSES, registryError } from './registry-errors.js';
import { createTypeLookup } from './schema-lookup.js';

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
  const typeById = createTypeLookup(client);
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
    typeById,
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
