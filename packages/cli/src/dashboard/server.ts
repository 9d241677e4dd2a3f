import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from './collect.js';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');
const require = createRequire(import.meta.url);
const UPLOT_DIR = dirname(require.resolve('uplot/package.json'));

/** The page's files, each served from disk: the page itself and uPlot from its npm package. */
const FILES: Readonly<Record<string, { path: string; type: string }>> = {
  '/': { path: join(PAGE_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { path: join(PAGE_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { path: join(PAGE_DIR, 'style.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': {
    path: join(UPLOT_DIR, 'dist', 'uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uPlot.min.css': { path: join(UPLOT_DIR, 'dist', 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** Snapshots kept for a page that opens later, so its charts start with some history. */
const HISTORY = 300;

/** The dashboard's web server. */
export interface DashboardServer {
  readonly server: Server;
  readonly port: number;
  /** Sends a snapshot to every open page (server-sent event `snapshot`) and keeps it for later ones. */
  publish(snapshot: Snapshot): void;
  close(): Promise<void>;
}

function sendEvent(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * Serves the dashboard on `host:port` (0: a free port): the page and its assets (nothing from
 * elsewhere: uPlot comes from node_modules), `/events` (server-sent events: the history on
 * connect, then each snapshot) and `/snapshot` (the latest, as JSON).
 */
export async function startDashboardServer(port: number, host = '127.0.0.1'): Promise<DashboardServer> {
  const history: Snapshot[] = [];
  const clients = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      sendEvent(res, 'history', history);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (path === '/snapshot') {
      res.writeHead(history.length > 0 ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(history.at(-1) ?? null));
      return;
    }
    const file = FILES[path];
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' });
    res.end(readFileSync(file.path));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    publish(snapshot) {
      history.push(snapshot);
      if (history.length > HISTORY) history.shift();
      for (const res of clients) sendEvent(res, 'snapshot', snapshot);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of clients) res.end();
        server.close(() => resolve());
      }),
  };
}
