import { defineConfig } from 'vitest/config';

// One broker and one registry for the whole run: started (or found running) once by the
// global setup, shared by every test file through random topic and group names. The
// security tests start their own secure broker on first use; their setup file stops it
// after the run if the run started it.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/global-setup.ts', 'test/security/global-setup.ts'],
    include: ['packages/*/test/**/*.test.ts', 'infra/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/faults/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
