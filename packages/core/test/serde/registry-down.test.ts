import { createServer } from 'node:net';
import { isFleetError } from '@fleet/contract';
import { describe, expect, it } from 'vitest';
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
