import { createServer, type Server } from 'node:http';
import { FleetError } from '@fleet/contract';
import type { Registry } from 'prom-client';

/** What the operations endpoint reports. */
export interface HealthSource {
  /** The process works (not wedged); false makes `/healthz` answer 503. */
  readonly live: boolean;
  /** Joined its group with the model loaded and not draining; false makes `/readyz` answer 503. */
  readonly ready: boolean;
  /** Partitions assigned to this instance, by topic (shown by `/readyz` and `fleet status`). */
  readonly assignment?: Record<string, number[]>;
}

/**
 * What to throw when a server could not listen on `port`, set by `variable`: a port in use
 * (EADDRINUSE) is a configuration error, FLEET_CONFIG_INVALID naming the variable, the port
 * and what to do, not a stack trace; any other error as it is.
 */
export function listenError(err: unknown, variable: string, port: number, host: string): unknown {
  if ((err as NodeJS.ErrnoException | null)?.code !== 'EADDRINUSE') return err;
  return new FleetError(
    'FLEET_CONFIG_INVALID',
    `${variable}=${port}: the port is already in use on ${host} (another instance still running?); ` +
      `stop what holds it, or set ${variable} to a free port, or to 0 to pick one`,
    { cause: err, context: { variable, port, host } },
  );
}

/**
 * Serves `/metrics` (Prometheus text), `/healthz` (alive) and `/readyz` (ready) on `port`
 * (0 picks a free one). Resolves to the server once listening.
 */
export async function startOpsServer(
  port: number,
  health: HealthSource,
  registry: Registry,
  host = '0.0.0.0',
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const ok = path === '/healthz' ? health.live : health.ready;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: ok ? 'ok' : 'unavailable',
          live: health.live,
          ready: health.ready,
          assignment: health.assignment ?? {},
          pid: process.pid,
        }),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
