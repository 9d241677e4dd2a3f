import { FleetError, isFleetError, type ErrorCode } from '@fleet/contract';

/**
 * The fleet's codes for a broker that refuses a client, whichever library implements the
 * seam: the credentials (FLEET_KAFKA_AUTH_FAILED) or an ACL (FLEET_KAFKA_NOT_AUTHORIZED).
 * No retry can fix either, so services stop on them instead of re-creating their clients.
 */
export const ACCESS_CODES: ReadonlySet<ErrorCode> = new Set(['FLEET_KAFKA_AUTH_FAILED', 'FLEET_KAFKA_NOT_AUTHORIZED']);

/** Whether `err` says the broker refused the client's credentials or an ACL refused it something. */
export function isAccessError(err: unknown): err is FleetError {
  return isFleetError(err) && ACCESS_CODES.has(err.code);
}

/** Broker answers that an ACL refused the request (FLEET_KAFKA_NOT_AUTHORIZED), on either library. */
export const NOT_AUTHORIZED: ReadonlySet<string> = new Set([
  'CLUSTER_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

/** Broker answers that refuse the SASL credentials (FLEET_KAFKA_AUTH_FAILED). */
export const SASL_FAILED: ReadonlySet<string> = new Set(['SASL_AUTHENTICATION_FAILED']);

/**
 * Broker answers that refuse the SASL mechanism before any credential is looked at
 * (FLEET_KAFKA_AUTH_FAILED): the listener does not enable it (UNSUPPORTED_SASL_MECHANISM),
 * or it is not a SASL listener at all, whose request handler answers a SASL handshake with
 * ILLEGAL_SASL_STATE.
 */
export const SASL_MECHANISM_REFUSED: ReadonlySet<string> = new Set([
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
]);

/** Node's codes for a broker certificate the client does not trust (FLEET_KAFKA_AUTH_FAILED). */
export const UNTRUSTED_CERT: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The broker refused the SASL credentials of `user`; `detail` says with what or doing what. */
export function saslRefused(user: string | undefined, detail: string): FleetError {
  return new FleetError(
    'FLEET_KAFKA_AUTH_FAILED',
    `the broker refused the SASL credentials of user "${user ?? ''}" (${detail}): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    { context: { variable: 'KAFKA_SASL_PASSWORD', user } },
  );
}

/**
 * The broker refused the SASL mechanism itself (`answer`, one of {@link SASL_MECHANISM_REFUSED}),
 * so no user name or password can help; `mechanism` is the one the client asked for, when known.
 */
export function saslMechanismRefused(answer: string, mechanism?: string): FleetError {
  const asked = mechanism ? `SASL mechanism ${mechanism.toUpperCase()}` : 'the SASL mechanism';
  const why =
    answer === 'ILLEGAL_SASL_STATE'
      ? `the listener at KAFKA_BROKERS did not expect ${asked} (${answer}): it is likely not a SASL listener; ` +
        'point KAFKA_BROKERS at its SASL listener, or set KAFKA_SASL_MECHANISM=none for this one'
      : `the broker does not enable ${asked} on this listener (${answer}): set KAFKA_SASL_MECHANISM to one ` +
        'it enables (the local secure broker offers only scram-sha-512), and check that KAFKA_BROKERS is its SASL listener';
  return new FleetError('FLEET_KAFKA_AUTH_FAILED', why, { context: { variable: 'KAFKA_SASL_MECHANISM' } });
}

/** The client does not trust the broker's TLS certificate (Node's `code`, one of {@link UNTRUSTED_CERT}). */
export function untrustedCertificate(code: string): FleetError {
  return new FleetError(
    'FLEET_KAFKA_AUTH_FAILED',
    `the broker's TLS certificate is not trusted (${code}): check KAFKA_SSL_CA_FILE, the CA that signed it`,
    { context: { variable: 'KAFKA_SSL_CA_FILE' } },
  );
}

/** No ACL allows `user` to do `doing`; `refused` is the broker's answer (e.g. TOPIC_AUTHORIZATION_FAILED). */
export function notAuthorized(user: string | undefined, doing: string, refused: string): FleetError {
  return new FleetError(
    'FLEET_KAFKA_NOT_AUTHORIZED',
    `user "${user ?? 'ANONYMOUS'}" is not authorized to ${doing} (${refused}): no ACL allows it (README, Security)`,
    { context: { user, refused } },
  );
}
