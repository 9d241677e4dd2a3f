import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** What the operations routes report. */
export interface OpsOptions {
  registry: Registry;
  /** The process works. */
  live: () => boolean;
  /** Models loaded and not draining: a load balancer may send requests. */
  ready: () => boolean;
}

/** `/metrics` (Prometheus), `/healthz` (alive), `/readyz` (ready; 503 while draining), as every fleet process serves them. */
export async function opsRoutes(app: FastifyInstance, options: OpsOptions): Promise<void> {
  app.get('/metrics', async (_, reply) =>
    reply.header('content-type', options.registry.contentType).send(await options.registry.metrics()),
  );
  for (const [path, ok] of [
    ['/healthz', options.live],
    ['/readyz', options.ready],
  ] as const) {
    app.get(path, async (_, reply) => {
      const good = ok();
      return reply.code(good ? 200 : 503).send({
        status: good ? 'ok' : 'unavailable',
        live: options.live(),
        ready: options.ready(),
        pid: process.pid,
      });
    });
  }
}
