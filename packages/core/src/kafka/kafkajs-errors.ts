/** What the seam reads of an error kafkajs (or Node.js beneath it) threw. */
export interface KafkajsError {
  name?: string;
  /** kafkajs' name of a broker's error code, e.g. `GROUP_LOAD_IN_PROGRESS`. */
  type?: string;
  code?: unknown;
  message?: string;
  cause?: unknown;
  originalError?: unknown;
}

/**
 * `err` and the errors it wraps, outermost first: kafkajs' retrier wraps a broker's answer
 * in errors of its own (`cause`), and a connection error carries Node's (`originalError`).
 * At most 8, so a cycle cannot hang the caller.
 */
export function errorChain(err: unknown): KafkajsError[] {
  const out: KafkajsError[] = [];
  for (let e = err as KafkajsError | undefined; e && out.length < 8; e = (e.cause ?? e.originalError) as KafkajsError) {
    out.push(e);
  }
  return out;
}
