import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino replaces with `[redacted]` wherever they appear in a log line: secrets must
 * never reach the logs, even when a whole config object is logged.
 */
export const REDACT_PATHS = ['password', 'kafkaSaslPassword', 'schemaRegistryPassword', 'authorization'].flatMap(
  (key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`],
);

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Which service this process runs, e.g. `duration`. */
  service: string;
  /** pino level. @default 'info' */
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read the lines back. */
  destination?: pino.DestinationStream;
}

/** The root logger of a process: JSON lines, `service` on every line, secrets redacted. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A child logger for one component of a service (`{ component }` on every line). */
export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}
