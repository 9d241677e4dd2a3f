import { defineConfig } from 'vitest/config';

// The fault suite kills, restarts and pauses the broker, so it runs on its own, after the
// main suite (`npm test` runs both in turn), on the same one broker and registry of the
// machine: the global setup finds them running or starts them.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/global-setup.ts', 'test/faults/setup/summary.ts'],
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    // Fallbacks only: every fault test and hook sets its own timeout, the sum of its waits
    // (test/faults/lib/fault.ts), so that a wait running out fails with its own message.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
