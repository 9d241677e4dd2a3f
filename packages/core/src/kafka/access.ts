import { isFleetError, type ErrorCode, type FleetError } from '@fleet/contract';

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
