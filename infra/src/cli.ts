/** Runs the local stack by hand: `npx tsx infra/src/cli.ts up|down|status|reset [--secure]` (same as `npx fleet infra …`). */
import { runInfra } from './commands.js';

runInfra(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[infra] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
