import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, isReady, waitReady } from '../src/launcher/process.js';
import { probe, type Instance } from '../src/procs/instances.js';

/** A `/readyz` on a free port that names `pid` as the process answering, as every fleet process does. */
async function readyz(pid: number): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', ready: true, pid }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port };
}

describe('launcher readiness', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('is ready only when /readyz answers from the pid it started, not from whoever holds the port', async () => {
    const { server, port } = await readyz(process.pid);
    servers.push(server);
    expect(await isReady({ port, pid: process.pid })).toBe(true);
    // Another process was given the same port and bound it first: its answer is not ours.
    expect(await isReady({ port, pid: process.pid + 1 })).toBe(false);
  });

  it("`fleet status` takes an answer on an instance's port from another pid as no answer", async () => {
    const { server, port } = await readyz(process.pid);
    servers.push(server);
    const instance: Instance = {
      service: 'tip',
      role: 'live',
      index: 1,
      pid: process.pid,
      port,
      logFile: '/dev/null',
      startedAt: new Date().toISOString(),
    };
    expect(await probe(instance)).toEqual({ ready: true, assignment: {} });
    expect(await probe({ ...instance, pid: process.pid + 1 })).toBeNull();
  });

  it('fails at once, naming it, when a target exited before it was ready', async () => {
    const child = spawn(process.execPath, ['-e', 'process.exit(3)']);
    await new Promise((resolve) => child.on('exit', resolve));
    const { server, port } = await readyz(process.pid);
    servers.push(server);
    await expect(waitReady({ 'tip-0': { port, pid: child.pid! } }, 60_000)).rejects.toThrow(
      /exited before it was ready: tip-0/,
    );
  });

  it('never hands out the same port twice in one process', async () => {
    const ports: number[] = [];
    // One after the other, as services are launched: each port is free again once probed.
    for (let i = 0; i < 200; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });
});
