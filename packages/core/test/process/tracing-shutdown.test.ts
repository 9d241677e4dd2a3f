import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  commonEnv,
  createLogger,
  fleetProcess,
  processParts,
  serviceEnv,
  TRACING_SHUTDOWN_MS,
  type Registry,
  type StreamService,
} from '../../src/index.js';
import { drivenKafka } from '../pipeline/fake-kafka.js';
import { unansweredExporter } from './unanswered-exporter.js';

afterEach(() => {
  vi.useRealTimers();
});

// Regression: a collector that was down held the stop of a process for the OTLP exporter's
// retries (about 10 s), inside the shutdown grace.
describe('a process stopping while its spans cannot be exported', () => {
  it('stops within the tracing bound and says the spans were dropped', async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const logger = createLogger({ service: 'test', destination: { write: (line: string) => lines.push(line) } });
    const parts = processParts(
      'test',
      { ...commonEnv, ...serviceEnv },
      { logger, kafka: drivenKafka().kafka, registry: {} as Registry, spanExporter: unansweredExporter },
    );
    const service = { stop: () => Promise.resolve() } as unknown as StreamService;
    let stopped = false;
    void fleetProcess(parts, service)
      .stop()
      .then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(TRACING_SHUTDOWN_MS - 1);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toBe(true);
    expect(lines.join('')).toContain('spans not exported in time were dropped');
  });
});
