import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, SUBJECT_COMPATIBILITY } from '../../src/serde/registry.js';

/**
 * A Confluent-compatible registry that answers every call at once, except the first call
 * of `hang` (method and path), which it reads and never answers: what a stress loop against
 * the real registry met once in 45,000 rounds of registrations (and CI once).
 */
async function registryLosingOne(
  hang: string,
): Promise<{ url: string; calls: string[]; ports: number[]; close(): void }> {
  const calls: string[] = [];
  // The client's port of each call: which connection it came on.
  const ports: number[] = [];
  const held: ServerResponse[] = [];
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const call = `${req.method} ${req.url}`;
    calls.push(call);
    ports.push(req.socket.remotePort ?? 0);
    req.resume();
    req.on('end', () => {
      if (call === hang && calls.filter((c) => c === hang).length === 1) {
        held.push(res);
        return;
      }
      const json = (status: number, body: object): void => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'PUT') json(200, { compatibility: SUBJECT_COMPATIBILITY });
      else if (req.method === 'GET') json(200, { compatibilityLevel: SUBJECT_COMPATIBILITY });
      else if (req.url?.endsWith('/versions')) json(200, { id: 7 });
      else json(200, { subject: 'rides-value', id: 7, version: 1, schema: '"string"' });
    });
  };
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    ports,
    close: () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

const schema = { type: 'record', name: 'Ride', fields: [{ name: 'ride_id', type: 'string' }] };

// Regression: a registry call that got no answer failed the whole registration after the
// request timeout (FLEET_REGISTRY_UNAVAILABLE), although every call the fleet makes can be
// sent again safely (reads, and registering a schema already registered gives its id).
describe('a registry call that gets no answer', () => {
  let registry: Awaited<ReturnType<typeof registryLosingOne>> | undefined;
  afterEach(() => registry?.close());

  it.each([
    ['setting the compatibility', 'PUT /config/rides-value'],
    ['reading the compatibility', 'GET /config/rides-value'],
    ['registering', 'POST /subjects/rides-value/versions'],
  ])('is sent again on a new connection when %s', async (_what, hang) => {
    const fake = (registry = await registryLosingOne(hang));
    const client = createRegistry({ url: fake.url, requestTimeoutMs: 300 });
    await expect(client.register('rides-value', schema)).resolves.toBe(7);
    // The client's port of each attempt of the lost call.
    const attempts = fake.calls.flatMap((c, i) => (c === hang ? [fake.ports[i]] : []));
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).not.toBe(attempts[0]);
  });

  it('is sent again when looking up a schema', async () => {
    registry = await registryLosingOne('POST /subjects/rides-value');
    const client = createRegistry({ url: registry.url, requestTimeoutMs: 300 });
    await expect(client.lookup('rides-value', schema)).resolves.toBe(7);
    expect(registry.calls).toEqual(['POST /subjects/rides-value', 'POST /subjects/rides-value']);
    expect(registry.ports[1]).not.toBe(registry.ports[0]);
  });
});
