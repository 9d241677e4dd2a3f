/**
 * The closed list of error codes the fleet raises. Every code is documented in
 * `docs/errors.md`; a test fails when one is not.
 */
export const ERROR_CODES = {
  FLEET_CONFIG_INVALID: { retriable: false },
  FLEET_SERDE_NOT_CONFLUENT_WIRE: { retriable: false },
  FLEET_SERDE_UNKNOWN_SCHEMA: { retriable: false },
  FLEET_SERDE_DECODE_FAILED: { retriable: false },
  FLEET_SERDE_WRONG_SCHEMA: { retriable: false },
  FLEET_SERDE_ENCODE_FAILED: { retriable: false },
  FLEET_REGISTRY_UNAVAILABLE: { retriable: true },
  FLEET_REGISTRY_INCOMPATIBLE: { retriable: false },
  FLEET_REGISTRY_REJECTED: { retriable: false },
  FLEET_VALIDATION_FAILED: { retriable: false },
  FLEET_UNKNOWN_MODEL: { retriable: false },
  FLEET_KAFKA_UNAVAILABLE: { retriable: true },
  FLEET_KAFKA_AUTH_FAILED: { retriable: false },
  FLEET_KAFKA_NOT_AUTHORIZED: { retriable: false },
  FLEET_MODEL_LOAD_FAILED: { retriable: false },
  FLEET_MODEL_VERSION_UNKNOWN: { retriable: false },
  FLEET_MODEL_CHECKSUM_MISMATCH: { retriable: false },
  FLEET_MODEL_INFERENCE_FAILED: { retriable: false },
  FLEET_MODEL_NON_FINITE_OUTPUT: { retriable: false },
  FLEET_INPUT_INVALID: { retriable: false },
  FLEET_INFRA_FAILED: { retriable: false },
  FLEET_RETRIES_EXHAUSTED: { retriable: false },
  FLEET_REQUEST_TOO_LARGE: { retriable: false },
  FLEET_OVERLOADED: { retriable: true },
  FLEET_ONLINE_UNAVAILABLE: { retriable: true },
  FLEET_DECISION_TIMEOUT: { retriable: true },
  FLEET_CLIENT_CLOSED: { retriable: false },
} as const;

/** One of the fleet's documented error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Where an error happened, as far as it is known. */
export interface ErrorContext {
  topic?: string;
  partition?: number;
  offset?: string;
  model?: string;
  variable?: string;
  [key: string]: unknown;
}

/** Options of {@link FleetError}. */
export interface FleetErrorOptions {
  /** The error this one wraps. */
  cause?: unknown;
  /** Topic, partition, offset, model, variable... */
  context?: ErrorContext;
  /** Overrides the code's default retriability. */
  retriable?: boolean;
}

/**
 * The one error base class of the fleet: a code from {@link ERROR_CODES}, whether a
 * retry may help, the cause, and where it happened.
 */
export class FleetError extends Error {
  override readonly name = 'FleetError';
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: FleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    this.context = options.context ?? {};
  }
}

/** Whether `err` is a {@link FleetError}, optionally of the given code. */
export function isFleetError(err: unknown, code?: ErrorCode): err is FleetError {
  return err instanceof FleetError && (code === undefined || err.code === code);
}

/**
 * Whether retrying the operation that threw `err` may help. Programming errors
 * (TypeError, RangeError, SyntaxError) never are; KafkaJS errors carry their own flag.
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof FleetError) return err.retriable;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) {
    return false;
  }
  if (typeof err === 'object' && err !== null && 'retriable' in err) {
    return (err as { retriable: unknown }).retriable === true;
  }
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT';
}
