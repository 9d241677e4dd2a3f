import type { Logger } from './logger.js';

/** Something that can be stopped gracefully. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** Options of {@link installShutdown}. */
export interface ShutdownOptions {
  /** Time for a graceful stop (finish the batch, commit, disconnect). @default 20000 */
  graceMs?: number;
  /** Extra time after the grace before the process is forced out. @default 5000 */
  forceMs?: number;
  /** Signals that start the shutdown. @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
  /** Exits the process; replaced in tests. @default process.exit */
  exit?: (code: number) => void;
}

/**
 * Stops `target` on SIGTERM/SIGINT within a bounded time: a graceful stop first, and if it
 * has not finished after `graceMs`, a forced exit after `forceMs` more. A second signal
 * forces the exit at once. Returns a function that removes the handlers.
 */
export function installShutdown(target: Stoppable, logger: Logger, options: ShutdownOptions = {}): () => void {
  const graceMs = options.graceMs ?? 20_000;
  const forceMs = options.forceMs ?? 5_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal, graceMs }, 'shutting down: finishing the batch, committing, disconnecting');
    const timer = setTimeout(() => {
      logger.error({ graceMs, forceMs }, 'graceful shutdown did not finish in time; forcing exit');
      setTimeout(() => exit(1), forceMs).unref();
    }, graceMs);
    timer.unref();
    target.stop().then(
      () => {
        clearTimeout(timer);
        logger.info('stopped cleanly');
        logger.flush();
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger.error({ err }, 'error while stopping');
        logger.flush();
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
