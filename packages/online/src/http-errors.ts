import { isFleetError, type ErrorCode } from '@fleet/contract';

/** The body of every error answer: `error` as the Open Inference Protocol asks, plus a code and the field. */
export interface ErrorBody {
  error: string;
  /** The fleet's error code (docs/errors.md); absent on an unexpected server fault. */
  code?: ErrorCode;
  /** The request field at fault, e.g. `rides[2].passengers`. */
  field?: string;
}

/** An error answer: status, body, and whether it is worth a log line (a server fault). */
export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  /** Seconds for `Retry-After` (503). */
  retryAfterSec?: number;
  serverFault: boolean;
}

/** What Ajv reports for one failed keyword (the part used here). */
interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  FLEET_VALIDATION_FAILED: 400,
  FLEET_INPUT_INVALID: 400,
  FLEET_UNKNOWN_MODEL: 404,
  FLEET_REQUEST_TOO_LARGE: 413,
  FLEET_MODEL_NON_FINITE_OUTPUT: 422,
  FLEET_OVERLOADED: 503,
};

/** `rides/0/passengers` → `rides[0].passengers`, plus the missing or unknown property. */
export function fieldOf(error: AjvError): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
    .join('')
    .replace(/^\./, '');
  const property = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof property !== 'string') return path;
  return path === '' ? property : `${path}.${property}`;
}

function validationMessage(error: AjvError, field: string): string {
  const name = field === '' ? 'the body' : field;
  switch (error.keyword) {
    case 'required':
      return `${name} is required`;
    case 'additionalProperties':
      return `${name} is not a known field`;
    case 'enum':
      return `${name} must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
    default:
      return `${name} ${error.message ?? 'is invalid'}`;
  }
}

/** The 400 answer of a request body that failed its JSON schema: the first failure, naming its field. */
export function schemaFailure(errors: readonly AjvError[]): ErrorAnswer {
  // With if/then/else the branch's own failure says more than "must match then".
  const error = errors.find((e) => e.keyword !== 'if') ?? errors[0];
  const field = fieldOf(error);
  return {
    status: 400,
    body: { error: validationMessage(error, field), code: 'FLEET_INPUT_INVALID', ...(field ? { field } : {}) },
    serverFault: false,
  };
}

/** A Fastify error (body parsing, size, media type) or a thrown error, as an answer. */
export function errorAnswer(err: unknown): ErrorAnswer {
  if (isFleetError(err)) {
    const status = STATUS_OF[err.code] ?? 500;
    const field = typeof err.context.field === 'string' ? err.context.field : undefined;
    const retry = err.context.retryAfterSec;
    return {
      status,
      body: { error: err.message, code: err.code, ...(field ? { field } : {}) },
      retryAfterSec: typeof retry === 'number' ? retry : undefined,
      serverFault: status >= 500 && status !== 503,
    };
  }
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = e.statusCode ?? 500;
  if (status === 413) {
    return {
      status,
      body: { error: e.message ?? 'body too large', code: 'FLEET_REQUEST_TOO_LARGE' },
      serverFault: false,
    };
  }
  if (status >= 400 && status < 500) {
    const error = e instanceof SyntaxError ? `the body is not valid JSON: ${e.message}` : (e.message ?? 'bad request');
    return { status, body: { error, code: 'FLEET_INPUT_INVALID' }, serverFault: false };
  }
  return { status: 500, body: { error: 'internal error (logged by the service)' }, serverFault: true };
}
