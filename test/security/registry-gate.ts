/**
 * A read-only gate in front of the schema registry, standing in for registry credentials
 * that may only read. Apicurio 3's own authentication is OIDC (an identity server such as
 * Keycloak), which the local stack does not run; the gate shows what such credentials would:
 * that a service whose schemas `fleet init` registered never writes to the registry.
 * It forwards reads — GET, and POST /subjects/{subject} (a lookup, which Confluent's
 * registry authorizes as a subject read) — and answers every other request 403.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';

/** One request the gate saw. */
export interface GateRequest {
  readonly method: string;
  readonly path: string;
  readonly forwarded: boolean;
}

/** A running gate. */
export interface RegistryGate {
  /** Base URL of the Confluent API behind the gate, for `SCHEMA_REGISTRY_URL`. */
  readonly url: string;
  readonly requests: GateRequest[];
  close(): Promise<void>;
}

function isRead(method: string, path: string): boolean {
  return method === 'GET' || (method === 'POST' && /\/subjects\/[^/]+$/.test(path));
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts a gate on a free loopback port in front of `registryUrl` (a `.../apis/ccompat/v7` URL). */
export async function startRegistryGate(registryUrl: string): Promise<RegistryGate> {
  const target = new URL(registryUrl);
  const requests: GateRequest[] = [];
  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://gate').pathname;
    const forwarded = isRead(method, path);
    requests.push({ method, path, forwarded });
    if (!forwarded) {
      res.writeHead(403, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify({ error_code: 40301, message: `read-only credentials: ${method} ${path} refused` }));
      return;
    }
    void (async () => {
      try {
        const upstream = await fetch(new URL(req.url ?? '/', target.origin), {
          method,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/vnd.schemaregistry.v1+json' },
          body: method === 'GET' ? undefined : await body(req),
        });
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      } catch (err) {
        res.writeHead(502);
        res.end(String(err));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
