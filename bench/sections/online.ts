/**
 * The online mode against its ceiling and its peer, in the same run on the same machine
 * under the same load: (a) a do-nothing Fastify route, (b) `POST /v1/quote` with one ride
 * per request (micro-batching on, the default), (c) the same with micro-batching off, (d)
 * Flask under gunicorn (2 workers) serving the same models with the training pipeline's
 * Python features (bench/online/peer_app.py). Each server runs as its own process, one at a
 * time, warmed up, then saturated (autocannon) and held at a fixed rate (open loop).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { QuoteRide, RideQuote } from '@fleet/contract';
import { freePort, launchService, stopProcess, waitReady } from '@fleet/cli/launcher';
import { parseHistograms } from '@fleet/core';
import { ONLINE_METRIC } from '@fleet/online';
import { ensureVenv } from '../../scripts/python-venv.mjs';
import type { BenchContext } from '../lib/context.js';
import { REPO_ROOT } from '../lib/context.js';
import { atRate, saturate, type LoadRun } from './online-load.js';

/** The servers measured, in order. */
export const ONLINE_TARGETS = ['noop', 'quote', 'quoteUnbatched', 'peer'] as const;
/** One of them. */
export type OnlineTarget = (typeof ONLINE_TARGETS)[number];

/** One server's figures. */
export interface OnlineTargetResult {
  /** Closed loop: as fast as it answers, on `connections` connections. */
  saturated: LoadRun;
  /** Open loop at `ratePerSec`. */
  atRate: LoadRun;
  /** Mean rides per model call while saturated (the online service's micro-batching). */
  meanBatchRows?: number;
}

/** Sizes of the stage. */
export interface OnlinePlan {
  connections: number;
  ratePerSec: number;
  warmupSec: number;
  saturatedSec: number;
  rateSec: number;
}

/** Result of the online stage. */
export interface OnlineResult extends OnlinePlan {
  /** autocannon's version (the saturated runs). */
  autocannon: string;
  targets: Partial<Record<OnlineTarget, OnlineTargetResult>>;
  /** Why the peer was not measured, when it was not. */
  peerSkipped?: string;
}

/** A server under test. */
interface Server {
  /** Its `POST /v1/quote`. */
  url: string;
  /** Its `/metrics`, for the online service. */
  metricsUrl?: string;
  stop(): Promise<void>;
}

const ONLINE_DIR = join(REPO_ROOT, 'bench', 'online');
const READY_MS = 120_000;

async function startOurs(name: string, env: Record<string, string>, entry?: string): Promise<Server> {
  const proc = await launchService('online', {
    name,
    entry,
    env: { ONLINE_HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    logFile: join(REPO_ROOT, '.fleet', 'logs', `bench-${name}.log`),
  });
  await proc.waitReady(READY_MS);
  const base = `http://127.0.0.1:${proc.port}`;
  return { url: `${base}/v1/quote`, metricsUrl: `${base}/metrics`, stop: () => proc.stop(30_000) };
}

async function startPeer(ctx: BenchContext): Promise<Server> {
  const python = ensureVenv(join(ONLINE_DIR, 'requirements.txt'), '.online-peer-requirements.sha256', (line) =>
    ctx.say(`online peer venv: ${line}`),
  );
  const port = await freePort();
  const logFile = join(REPO_ROOT, '.fleet', 'logs', 'bench-online-peer.log');
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const args = ['--workers', '2', '--bind', `127.0.0.1:${port}`, '--chdir', ONLINE_DIR, '--log-level', 'warning'];
  const child = spawn(join(dirname(python), 'gunicorn'), [...args, 'peer_app:app'], {
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    stdio: ['ignore', out, out],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start gunicorn (see ${logFile})`);
  await waitReady({ 'Flask + gunicorn peer': port }, READY_MS).catch(async (err: unknown) => {
    await stopProcess(pid, 5000);
    throw new Error(`${err instanceof Error ? err.message : String(err)} (see ${logFile})`);
  });
  return { url: `http://127.0.0.1:${port}/v1/quote`, stop: () => stopProcess(pid, 10_000) };
}

/** `fleet_online_batch_rows` of the duration model so far (its sum and count). */
async function batchRows(metricsUrl: string): Promise<{ sum: number; count: number }> {
  const series = parseHistograms(await (await fetch(metricsUrl)).text(), ONLINE_METRIC.batchRows);
  return series.find((s) => s.labels.model === 'duration') ?? { sum: Number.NaN, count: Number.NaN };
}

async function measure(
  ctx: BenchContext,
  server: Server,
  bodies: string[],
  plan: OnlinePlan,
): Promise<OnlineTargetResult> {
  await saturate(server.url, bodies, plan.connections, plan.warmupSec);
  const before = server.metricsUrl ? await batchRows(server.metricsUrl) : undefined;
  const saturated = await saturate(server.url, bodies, plan.connections, plan.saturatedSec);
  const after = server.metricsUrl ? await batchRows(server.metricsUrl) : undefined;
  const meanBatchRows = before && after ? (after.sum - before.sum) / (after.count - before.count) : undefined;
  ctx.say(`  saturated: ${Math.round(saturated.requestsPerSec)} requests/s`);
  const fixed = await atRate(server.url, bodies, plan.ratePerSec, plan.rateSec);
  ctx.say(
    `  at ${plan.ratePerSec}/s: p50 ${fixed.latencyMs.p50.toFixed(2)} ms, p99 ${fixed.latencyMs.p99.toFixed(2)} ms`,
  );
  return { saturated, atRate: fixed, meanBatchRows };
}

/** What a quote says, in a fixed order (the peer's JSON orders keys its own way). */
const said = (q: RideQuote): string =>
  JSON.stringify([q.ride_id, q.duration_min, q.cost_usd, q.tip_usd, q.fare_quote_usd, q.eta_minutes, q.priority]) +
  JSON.stringify(Object.entries(q.model_versions).sort());

/** The peer answers what the online service answers (same models, same features, same rules). */
async function sameQuotes(ours: string, peer: string, rides: QuoteRide[]): Promise<void> {
  const ask = async (url: string): Promise<RideQuote[]> => {
    const body = JSON.stringify({ rides });
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return ((await response.json()) as { quotes: RideQuote[] }).quotes;
  };
  const [a, b] = await Promise.all([ask(ours), ask(peer)]);
  const differs = rides.findIndex((_, i) => a[i] === undefined || b[i] === undefined || said(a[i]) !== said(b[i]));
  if (differs !== -1) {
    throw new Error(
      `the peer's quote of ride ${differs} differs from ours: ${said(b[differs])} vs ${said(a[differs])}`,
    );
  }
}

/** Runs (a)–(d) one after the other. */
export async function measureOnline(ctx: BenchContext, plan: OnlinePlan): Promise<OnlineResult> {
  const { version } = createRequire(import.meta.url)('autocannon/package.json') as { version: string };
  const result: OnlineResult = { ...plan, autocannon: version, targets: {} };
  const rides = ctx.templates.slice(0, 1000);
  const bodies = rides.map((r) => JSON.stringify(r));
  const starts: Record<OnlineTarget, () => Promise<Server>> = {
    noop: () => startOurs('online-noop', {}, join(ONLINE_DIR, 'noop-server.ts')),
    quote: () => startOurs('online', { ONLINE_BATCHING: 'true' }),
    quoteUnbatched: () => startOurs('online-unbatched', { ONLINE_BATCHING: 'false' }),
    peer: async () => {
      const peer = await startPeer(ctx);
      try {
        const ours = await startOurs('online-check', {});
        await sameQuotes(ours.url, peer.url, rides.slice(0, 50)).finally(() => ours.stop());
        return peer;
      } catch (err) {
        await peer.stop();
        throw err;
      }
    },
  };
  for (const target of ONLINE_TARGETS) {
    ctx.say(`online: ${target}`);
    let server: Server;
    try {
      server = await starts[target]();
    } catch (err) {
      if (target !== 'peer') throw err;
      result.peerSkipped = err instanceof Error ? err.message : String(err);
      ctx.say(`online: peer not measured: ${result.peerSkipped}`);
      continue;
    }
    try {
      result.targets[target] = await measure(ctx, server, bodies, plan);
    } finally {
      await server.stop();
    }
  }
  return result;
}
