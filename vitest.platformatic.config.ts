import { defineConfig } from 'vitest/config';
import main from './vitest.config.js';

// The broker-touching part of the main suite a second time, on the second client behind the
// Kafka seam (`KAFKA_CLIENT=platformatic`, @platformatic/kafka): the tests' own clients and
// every service process they start (which inherit the variable) use it. `npm test` runs it
// after the main suite, which covers the default client (kafkajs).
export default defineConfig({
  ...main,
  test: {
    ...main.test,
    include: [
      'test/integration/**/*.test.ts',
      'test/e2e/**/*.test.ts',
      'test/ops/**/*.test.ts',
      'test/client/**/*.test.ts',
      'test/security/**/*.test.ts',
    ],
    env: { ...main.test?.env, KAFKA_CLIENT: 'platformatic' },
  },
});
