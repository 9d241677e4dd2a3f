import { createServer, type Socket } from 'node:net';
import { isFleetError } from '@fleet/contract';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/serde/registry.js';

/** A port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Regression: the registry client reports a refused connection as a status-400 response,
// which made a service that started while the registry was down give up at once
// (FLEET_REGISTRY_REJECTED) instead of waiting for it.
describe('a registry that is down', () => {
  it('is FLEET_REGISTRY_UNAVAILABLE (retriable) on a schema lookup, not a rejection', async () => {
    const registry = createRegistry({ url: `http://127.0.0.1:${await closedPort()}` });
    const err = await registry.lookup('rides-value', { type: 'string' }).catch((e: unknown) => e);
    expect(isFleetError(err, 'FLEET_REGISTRY_UNAVAILABLE')).toBe(true);
    expect((err as { retriable: boolean }).retriable).toBe(true);
  });
});

/** A registry that takes connections and never answers (a hung process). */
async function silentRegistry(): Promise<{ url: string; close(): void }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

// Regression: `fleet init` (the secure tests' set-up) once hung for minutes on a registry
// call that was never answered; every call now gives up after its few attempts of
// requestTimeoutMs each.
describe('a registry that never answers', () => {
  const silent = silentRegistry();
  afterAll(async () => (await silent).close());

  it('fails a registration and a lookup as FLEET_REGISTRY_UNAVAILABLE (retriable) after the timeout', async () => {
    const registry = createRegistry({ url: (await silent).url, requestTimeoutMs: 300 });
    // register() first sets the subject's compatibility (a plain fetch), then registers (the client).
    const registering = await registry.register('rides-value', { type: 'string' }).catch((e: unknown) => e);
    expect(isFleetError(registering, 'FLEET_REGISTRY_UNAVAILABLE')).toBe(true);
    const looking = await registry.lookup('rides-value', { type: 'string' }).catch((e: unknown) => e);
    expect(isFleetError(looking, 'FLEET_REGISTRY_UNAVAILABLE')).toBe(true);
    expect((looking as { retriable: boolean }).retriable).toBe(true);
  });
});
