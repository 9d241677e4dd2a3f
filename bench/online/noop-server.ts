/**
 * The ceiling of the online bench: a do-nothing Fastify route, as the online service runs
 * Fastify (same version, same machine), taking the same request (a ride as JSON, parsed)
 * and answering a small JSON object without doing anything with it. Launched like the
 * online service (`launchService('online', { entry })`), so it reads `ONLINE_PORT`.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/quote', async () => ({ ok: true }));
// Names its pid, as every fleet process does: the launcher waits for its own process's answer.
app.get('/readyz', async () => ({ ready: true, pid: process.pid }));
await app.listen({ port: Number(process.env.ONLINE_PORT ?? 8080), host: process.env.ONLINE_HOST ?? '127.0.0.1' });
