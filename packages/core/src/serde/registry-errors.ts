import { FleetError } from '@fleet/contract';

/** Answers of a registry too busy to serve the call now (timed out, throttled): sent again. */
export const BUSY_STATUSES: ReadonlySet<number> = new Set([408, 429]);

const NETWORK_FAILURE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|socket hang up|Timeout \(\d+ms\)/;

/**
 * The HTTP status the registry answered with, if it answered. The registry client (mappersmith)
 * reports a connection that failed, or a call that timed out, as a response with status 400
 * ("connect ECONNREFUSED ...", "Timeout (10000ms)"): a registry that is down or hung, not a
 * rejection.
 */
export function httpStatus(err: unknown): number | undefined {
  const message = err instanceof Error ? err.message : String(err);
  return NETWORK_FAILURE.test(message) ? undefined : (err as { status?: number } | null)?.status;
}

/** Classifies an error of the registry client into the fleet's codes. */
export function registryError(err: unknown, doing: string): FleetError {
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
