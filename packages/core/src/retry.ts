import { FleetError, isRetriable } from '@fleet/contract';

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Attempts after the first one. @default 5 */
  retries?: number;
  /** Delay before the first retry. @default 300 */
  initialDelayMs?: number;
  /** Upper bound of one delay. @default 30000 */
  maxDelayMs?: number;
  /** Growth of the delay per attempt. @default 2 */
  factor?: number;
  /** Called before each wait, e.g. to log "registry unavailable, retrying in 1.2 s". */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Which errors are worth another attempt. @default isRetriable */
  shouldRetry?: (err: unknown) => boolean;
}

/** The delay before retry number `attempt` (0-based): exponential, capped, with full jitter. */
export function backoffDelay(attempt: number, opts: RetryOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialDelayMs ?? 300;
  const max = opts.maxDelayMs ?? 30_000;
  const ceiling = Math.min(max, initial * (opts.factor ?? 2) ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Runs `fn` until it succeeds, retrying errors that `shouldRetry` accepts with exponential
 * backoff and jitter. Errors that are not worth a retry (programming errors such as TypeError
 * or RangeError among them) are thrown as they are, at once. When the attempts run out, a
 * FleetError `FLEET_RETRIES_EXHAUSTED` is thrown with the last error as its `cause`.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? 5;
  const shouldRetry = opts.shouldRetry ?? isRetriable;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const programming = err instanceof TypeError || err instanceof RangeError;
      if (programming || !shouldRetry(err)) throw err;
      if (attempt >= retries) {
        const why = err instanceof Error ? err.message : String(err);
        throw new FleetError('FLEET_RETRIES_EXHAUSTED', `gave up after ${attempt + 1} attempts: ${why}`, {
          cause: err,
        });
      }
      const delay = backoffDelay(attempt, opts);
      opts.onRetry?.(err, attempt + 1, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * `work`'s result, or an error naming `what` once `timeoutMs` passed (the work itself is not
 * stopped): a step that hangs fails with its own message, not an outer timeout's.
 */
export async function within<T>(what: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
