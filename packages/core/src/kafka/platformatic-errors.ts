import { FleetError, isFleetError } from '@fleet/contract';
import {
  notAuthorized,
  NOT_AUTHORIZED,
  saslMechanismRefused,
  saslRefused,
  SASL_FAILED,
  SASL_MECHANISM_REFUSED,
  untrustedCertificate,
  UNTRUSTED_CERT,
} from './access.js';

/**
 * Broker answers that no retry can fix: the request itself or the client's configuration
 * is wrong. @platformatic/kafka marks far more errors `canRetry: false` than these (a
 * timed-out request, REBALANCE_IN_PROGRESS, an unknown producer id), because retrying them
 * inside one call could break its semantics; the fleet retries whole operations (a batch is
 * handled again, an admin call repeated), so for the seam they are transient.
 */
const REJECTED_API_IDS = new Set([
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_CONFIG',
  'INVALID_REQUEST',
  'INVALID_REQUIRED_ACKS',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'POLICY_VIOLATION',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);

/** Client-side errors of the library that mean a bug or a bad option, not an outage. */
const REJECTED_CODES = new Set([
  'PLT_KFK_USER',
  'PLT_KFK_UNSUPPORTED',
  'PLT_KFK_UNSUPPORTED_API',
  'PLT_KFK_UNSUPPORTED_COMPRESSION',
  'PLT_KFK_UNSUPPORTED_FORMAT',
]);

interface LibraryError {
  code?: unknown;
  apiId?: unknown;
  message?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/** Every error in `err`'s tree: itself, the members of a MultipleErrors, their causes. */
export function errorChain(err: unknown): LibraryError[] {
  const out: LibraryError[] = [];
  const walk = (e: unknown, depth: number): void => {
    if (typeof e !== 'object' || e === null || depth > 8) return;
    const le = e as LibraryError;
    out.push(le);
    if (Array.isArray(le.errors)) for (const inner of le.errors) walk(inner, depth + 1);
    if (le.cause !== undefined) walk(le.cause, depth + 1);
  };
  walk(err, 0);
  return out;
}

/**
 * The library's "user" errors that are only its metadata being behind the broker (a topic
 * created a moment ago, a partition not known yet): kafkajs answers UNKNOWN_TOPIC_OR_PARTITION,
 * retriable, there.
 */
const TRANSIENT_USER_ERROR = /^(Unknown (topic|partition)|Specified partition\(s\) not found)/;

/** Whether the broker or the library refused the request for a reason a retry cannot fix. */
export function isRejected(err: unknown): boolean {
  return errorChain(err).some(
    (e) =>
      (typeof e.apiId === 'string' && REJECTED_API_IDS.has(e.apiId)) ||
      (typeof e.code === 'string' &&
        REJECTED_CODES.has(e.code) &&
        !(e.code === 'PLT_KFK_USER' && TRANSIENT_USER_ERROR.test(String(e.message)))),
  );
}

/** Whether any error in `err`'s tree is the broker's answer `apiId` (e.g. `TOPIC_ALREADY_EXISTS`). */
export function hasApiError(err: unknown, apiId: string): boolean {
  return errorChain(err).some((e) => e.apiId === apiId);
}

/** The broker's error ids in `err`'s tree, for a message: "NOT_LEADER_OR_FOLLOWER, ...". */
function apiIds(err: unknown): string {
  const ids = new Set(errorChain(err).flatMap((e) => (typeof e.apiId === 'string' ? [e.apiId] : [])));
  return [...ids].join(', ');
}

/** The refusal of the broker in `err`'s tree, as the fleet's error, or undefined. */
function accessError(err: unknown, doing: string, user: string | undefined): FleetError | undefined {
  const chain = errorChain(err);
  // The library wraps a refused handshake in an AuthenticationError: the answer beneath says which.
  const mechanism = chain.find((e) => typeof e.apiId === 'string' && SASL_MECHANISM_REFUSED.has(e.apiId));
  if (mechanism) return saslMechanismRefused(String(mechanism.apiId));
  for (const e of chain) {
    if (e.code === 'PLT_KFK_AUTHENTICATION' || (typeof e.apiId === 'string' && SASL_FAILED.has(e.apiId))) {
      return saslRefused(user, `to ${doing}`);
    }
    if (typeof e.code === 'string' && UNTRUSTED_CERT.has(e.code)) return untrustedCertificate(e.code);
    if (typeof e.apiId === 'string' && NOT_AUTHORIZED.has(e.apiId)) return notAuthorized(user, doing, e.apiId);
  }
  return undefined;
}

/**
 * An error of @platformatic/kafka as the fleet's {@link FleetError}: a refusal of the
 * credentials or of an ACL as FLEET_KAFKA_AUTH_FAILED or FLEET_KAFKA_NOT_AUTHORIZED (naming
 * `user` and what it tried, never a secret), anything else as FLEET_KAFKA_UNAVAILABLE, not
 * retriable when the request was refused ({@link isRejected}), with the library's error as
 * `cause`. `doing` says what was tried ("produce to predictions"). Fleet errors pass through.
 */
export function toFleetError(err: unknown, doing: string, user?: string): FleetError {
  if (isFleetError(err)) return err;
  const access = accessError(err, doing, user);
  if (access) return access;
  const ids = apiIds(err);
  const message = `could not ${doing}: ${err instanceof Error ? err.message : String(err)}${ids ? ` (${ids})` : ''}`;
  return new FleetError('FLEET_KAFKA_UNAVAILABLE', message, { cause: err, retriable: !isRejected(err) });
}

/** Runs `call`, translating what it throws with {@link toFleetError}. */
export async function translated<T>(doing: string, call: () => Promise<T>, user?: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toFleetError(err, doing, user);
  }
}

/** The SASL user of a connection's options, when it is a plain string. */
export function saslUser(options: { sasl?: { username?: unknown } }): string | undefined {
  const name = options.sasl?.username;
  return typeof name === 'string' ? name : undefined;
}
