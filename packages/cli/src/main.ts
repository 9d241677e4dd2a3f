import { runFleet } from './fleet.js';

process.exitCode = await runFleet(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`fleet: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
