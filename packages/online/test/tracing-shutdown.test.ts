import { describe, expect, it } from 'vitest';
import { createLogger, TRACING_SHUTDOWN_MS } from '@fleet/core';
import { unansweredExporter } from '../../core/test/process/unanswered-exporter.js';
import { createOnlineProcess } from '../src/process.js';

// Regression: a collector that was down held the stop of the online process for the OTLP
// exporter's retries (about 10 s), inside the shutdown grace.
describe('the online process stopping while its spans cannot be exported', () => {
  it('stops within the tracing bound and says the spans were dropped', async () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 'online', destination: { write: (line: string) => lines.push(line) } });
    const proc = await createOnlineProcess({ logger, spanExporter: unansweredExporter, env: { ONLINE_PORT: '0' } });
    // Real time: closing the models is native work, which fake timers do not move along.
    const started = performance.now();
    const outcome = await Promise.race([
      proc.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(resolve, TRACING_SHUTDOWN_MS + 3000, 'still stopping')),
    ]);
    expect(outcome).toBe('stopped');
    expect(performance.now() - started).toBeGreaterThanOrEqual(TRACING_SHUTDOWN_MS - 50);
    expect(lines.join('')).toContain('spans not exported in time were dropped');
  });
});
