import { FleetError, isFleetError } from '@fleet/contract';
import type { Logger } from '../logger.js';
import type { StreamService } from '../pipeline/stream-service.js';
import { installShutdown } from '../shutdown.js';
import { listenError, startOpsServer } from './http.js';
import type { FleetMetrics } from './metrics.js';

/** Options of {@link serve}. */
export interface ServeOptions {
  logger: Logger;
  metrics: FleetMetrics;
  /** Port of /metrics, /healthz, /readyz; 0 picks a free port. */
  metricsPort: number;
  /** Grace time of a SIGTERM/SIGINT shutdown. */
  shutdownGraceMs: number;
}

/**
 * Runs a service as a process: the operations endpoint, signal handling with a bounded
 * graceful shutdown, then the service itself. Used by every service's `main.ts`. Rejects
 * when the service cannot start, or later stops for good ({@link StreamService.failed}),
 * so that `runMain` ends the process with its one fatal line; a signal ends it otherwise.
 */
export async function serve(service: StreamService, options: ServeOptions): Promise<void> {
  const server = await startOpsServer(options.metricsPort, service, options.metrics.registry).catch((err: unknown) => {
    throw listenError(err, 'METRICS_PORT', options.metricsPort, '0.0.0.0');
  });
  const address = server.address();
  options.logger.info(
    { port: typeof address === 'object' && address ? address.port : options.metricsPort },
    'operations endpoint: /metrics /healthz /readyz',
  );
  installShutdown(
    {
      stop: async () => {
        await service.stop();
        server.close();
      },
    },
    options.logger,
    { graceMs: options.shutdownGraceMs },
  );
  try {
    await service.start();
  } catch (err) {
    server.close();
    throw err;
  }
  await service.failed.catch((err: unknown) => {
    server.close();
    if (!isFleetError(err)) throw err;
    throw new FleetError(err.code, err.message, { context: { ...err.context, phase: 'running' } });
  });
}
