import type { Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isFleetError } from '@fleet/contract';
import { createLogger, createMetrics, serve, type StreamService } from '../../src/index.js';
import { busyPort } from './busy-port.js';

let held: Server | undefined;
afterEach(() => held?.close());

// Regression: a METRICS_PORT another process holds ended the service with a raw
// EADDRINUSE stack instead of naming the variable and what to do.
describe('a service whose METRICS_PORT is taken', () => {
  it('does not start, with FLEET_CONFIG_INVALID naming the variable and the port', async () => {
    const { port, server } = await busyPort();
    held = server;
    const start = vi.fn(() => Promise.resolve());
    const service = { start, stop: () => Promise.resolve(), live: true, ready: false } as unknown as StreamService;
    const logger = createLogger({ service: 'test', level: 'silent' });
    const err: unknown = await serve(service, {
      logger,
      metrics: createMetrics('test'),
      metricsPort: port,
      shutdownGraceMs: 1000,
    }).catch((e: unknown) => e);
    expect(isFleetError(err, 'FLEET_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain(`METRICS_PORT=${port}`);
    expect((err as Error).message).toContain('0 to pick one');
    expect(isFleetError(err) && err.context).toMatchObject({ variable: 'METRICS_PORT', port });
    expect(start).not.toHaveBeenCalled();
  });
});
