import { createServer, type Server } from 'node:net';

/** A free port, then held by a server of this test on `host`, as another instance would hold it. */
export async function busyPort(host = '0.0.0.0'): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, server };
}
