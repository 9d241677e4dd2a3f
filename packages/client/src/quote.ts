import { ERROR_CODES, FleetError, type ErrorCode, type QuoteRide, type RideQuote } from '@fleet/contract';
import { noTracing, type Tracing } from '@fleet/core';

/** Options of {@link requestQuotes}. */
export interface QuoteRequestOptions {
  /** Base URL of the online service, e.g. `http://127.0.0.1:8080`. */
  onlineUrl: string;
  /** How long to wait for the answer. */
  timeoutMs: number;
  /** A client span per request, its context sent in `traceparent`. @default none */
  tracing?: Tracing;
}

interface ErrorBody {
  error?: string;
  code?: string;
  field?: string;
}

const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && code in ERROR_CODES;

/** The FleetError of a non-2xx answer: the service's own code and field, or what the status says. */
function answerError(status: number, body: ErrorBody, retryAfter: string | null): FleetError {
  const message = `the online service answered ${status}: ${body.error ?? 'no reason given'}`;
  const context = { status, ...(body.field ? { field: body.field } : {}) };
  // 429 from a proxy in front of the service: as retriable as the service's own 503.
  if (status === 503 || status === 429) {
    const retryAfterSec = retryAfter === null ? undefined : Number(retryAfter);
    return new FleetError('FLEET_OVERLOADED', `${message} (retry after ${retryAfter ?? '?'} s)`, {
      context: { ...context, retryAfterSec },
    });
  }
  // 408: the request did not reach the service whole in time (Node.js's request timeout).
  if (status >= 500 || status === 408) return new FleetError('FLEET_ONLINE_UNAVAILABLE', message, { context });
  return new FleetError(isErrorCode(body.code) ? body.code : 'FLEET_INPUT_INVALID', message, { context });
}

/**
 * POSTs `body` to `/v1/quote` and returns the parsed answer.
 * @throws FleetError: the service's code for a 4xx (FLEET_VALIDATION_FAILED naming the field,
 *   FLEET_INPUT_INVALID, FLEET_REQUEST_TOO_LARGE), FLEET_OVERLOADED for a 503 or 429 (retriable,
 *   `retryAfterSec`), FLEET_ONLINE_UNAVAILABLE when it cannot be reached, times out (408 too),
 *   fails or answers no JSON.
 */
export async function requestQuotes(
  body: QuoteRide | { rides: readonly QuoteRide[] },
  options: QuoteRequestOptions,
): Promise<RideQuote | { quotes: RideQuote[] }> {
  const url = `${options.onlineUrl.replace(/\/+$/, '')}/v1/quote`;
  const span = (options.tracing ?? noTracing).span('POST /v1/quote', {
    kind: 'client',
    attributes: { 'http.request.method': 'POST', 'url.full': url },
  });
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...span.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // Inside the try: the timeout covers the body too, and a connection may break while it comes.
    text = await response.text();
    span.end();
  } catch (cause) {
    span.fail(cause);
    span.end();
    const why = (cause as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : String(cause);
    throw new FleetError('FLEET_ONLINE_UNAVAILABLE', `cannot get a quote from ${url}: ${why}`, {
      cause,
      context: { url },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    // An answer from something other than the service (a proxy's page, `null`) has no error body.
    const errorBody =
      typeof parsed === 'object' && parsed !== null
        ? (parsed as ErrorBody)
        : { error: text.trim().slice(0, 200) || undefined };
    throw answerError(response.status, errorBody, response.headers.get('retry-after'));
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new FleetError('FLEET_ONLINE_UNAVAILABLE', `${url} answered ${response.status} with no JSON quote`, {
      context: { url, status: response.status },
    });
  }
  return parsed as RideQuote | { quotes: RideQuote[] };
}
