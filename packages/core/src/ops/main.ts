import { isFleetError } from '@fleet/contract';

/**
 * Runs a process's `main`: a start-up failure (bad configuration, a tampered model, a
 * registry that never answered, credentials the broker refuses) ends the process with exit
 * code 1 and one line on stderr saying what went wrong and what to do, as JSON like the
 * rest of the logs; so does a service that stops for good later (context `phase: running`).
 */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const line = isFleetError(err)
      ? {
          level: 'fatal',
          service,
          code: err.code,
          msg: `${err.context.phase === 'running' ? 'stopped' : 'cannot start'}: ${err.message}`,
          context: err.context,
        }
      : {
          level: 'fatal',
          service,
          msg: `cannot start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    process.exit(1);
  });
}
