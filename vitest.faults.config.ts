import { defineConfig } from 'vitest/config';

// The fault suite kills, restarts and pauses the broker, so it runs on its own, after the
// main suite (`npm test` runs both in turn), on the same one broker and registry of the
// machine: the global setup finds them running or starts them.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/global-setup.ts', 'test/faults/setup/summary.ts'],
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
