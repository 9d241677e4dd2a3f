/**
 * Vitest global setup of the security tests' broker: the test files start the secure
 * broker themselves when they need it (`secure-stack.ts`), so a run without them never
 * pays for it; this teardown stops it after the run when the run started it (it was not
 * running at setup), unless `FLEET_KEEP_STACK=1`, like the plain stack's global setup.
 */
import { secureBrokerStatus, stopSecureBroker } from '@fleet/infra';

let runningAtSetup: number | undefined;

/** Vitest global setup hook: remembers whether a secure broker of this checkout was running. */
export async function setup(): Promise<void> {
  runningAtSetup = (await secureBrokerStatus()).pid;
}

/** Vitest global teardown hook: stops the secure broker this run started. */
export async function teardown(): Promise<void> {
  if (process.env.FLEET_KEEP_STACK === '1') return;
  const { pid } = await secureBrokerStatus();
  if (pid !== undefined && pid !== runningAtSetup) await stopSecureBroker();
}
