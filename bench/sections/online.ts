/**
 * The online mode against its ceiling and its peer, in the same run on the same machine
 * under the same load: (a) a do-nothing Fastify route, (b) `POST /v1/quote` with one ride
 * per request (micro-batching on, the default), (c) the same with micro-batching off, (d)
 * Flask under gunicorn (2 workers) serving the same models with the training pipeline's
 * Python features (bench/online/peer_app.py). Each server is its own process; all four are
 * started and warmed first, then saturated (autocannon) one at a time in interleaved
 * rounds, (a) (b) (c) (d), then (b) (c) (d) (a), …, so that a machine whose speed drifts
 * during the stage weighs on every server alike and each ratio compares runs made side by
 * side. Last, each is held at a fixed rate (open loop).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { QuoteRide, RideQuote } from '@fleet/contract';
import { freePort, launchService, stopProcess, waitReady } from '@fleet/cli/launcher';
import { parseHistograms, quantile } from '@fleet/core';
import { ONLINE_METRIC } from '@fleet/online';
import { ensureTrainingVenv, ensureVenv } from '../../scripts/python-venv.mjs';
import type { BenchContext } from '../lib/context.js';
import { cpuSeconds, mainThreadCpuSeconds, processTree } from '../lib/procstat.js';
import { REPO_ROOT } from '../lib/context.js';
import { atRate, saturate, type LoadRun } from './online-load.js';

/** The servers measured, in order. */
export const ONLINE_TARGETS = ['noop', 'quote', 'quoteUnbatched', 'peer'] as const;
/** One of them. */
export type OnlineTarget = (typeof ONLINE_TARGETS)[number];

/** The CPU a server used while saturated. */
export interface ServerCpu {
  /** CPU seconds of its processes per second of the run: cores kept busy. */
  cores: number;
  /** CPU microseconds per request answered. */
  usPerRequest: number;
  /** Share of the run its serving thread was busy (a Node server's event loop; 1 = all of it). */
  servingThread?: number;
}

/** One server's figures. */
export interface OnlineTargetResult {
  /** Closed loop: as fast as it answers, on `connections` connections (its median round). */
  saturated: LoadRun;
  /** Requests/s of each saturated round, in round order. */
  rounds?: number[];
  /** Its CPU during the saturated run. */
  saturatedCpu?: ServerCpu;
  /** Open loop at `ratePerSec`. */
  atRate: LoadRun;
  /** Mean rides per model call while saturated (the online service's micro-batching). */
  meanBatchRows?: number;
}

/** Sizes of the stage. */
export interface OnlinePlan {
  connections: number;
  /** Saturated runs of each server, interleaved with the others'. */
  rounds: number;
  ratePerSec: number;
  warmupSec: number;
  saturatedSec: number;
  rateSec: number;
}

/** Result of the online stage. */
export interface OnlineResult extends Omit<OnlinePlan, 'rounds'> {
  /** As planned; absent in results from before the rounds (one saturated run per server). */
  rounds?: number;
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
  /** Its process (a gunicorn master: its workers are metered with it). */
  pid: number;
  /** A Node server: its main thread serves the requests. */
  node: boolean;
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
  // A server that never got ready is stopped, not left running after the stage failed.
  await proc.waitReady(READY_MS).catch(async (err: unknown) => {
    await proc.stop(5000);
    throw err;
  });
  const base = `http://127.0.0.1:${proc.port}`;
  return {
    url: `${base}/v1/quote`,
    metricsUrl: `${base}/metrics`,
    pid: proc.pid,
    node: true,
    stop: () => proc.stop(30_000),
  };
}

async function startPeer(ctx: BenchContext): Promise<Server> {
  const say = (line: string): void => ctx.say(`online peer venv: ${line}`);
  // The peer runs the training's feature code with numpy and onnxruntime: the training's
  // pins first (a fresh machine's venv has none), then Flask and gunicorn beside them.
  ensureTrainingVenv(say);
  const python = ensureVenv(join(ONLINE_DIR, 'requirements.txt'), '.online-peer-requirements.sha256', say);
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
  await waitReady({ 'Flask + gunicorn peer': { port, pid } }, READY_MS).catch(async (err: unknown) => {
    await stopProcess(pid, 5000);
    throw new Error(`${err instanceof Error ? err.message : String(err)} (see ${logFile})`);
  });
  return { url: `http://127.0.0.1:${port}/v1/quote`, pid, node: false, stop: () => stopProcess(pid, 10_000) };
}

/** `fleet_online_batch_rows` of the duration model so far (its sum and count). */
async function batchRows(metricsUrl: string): Promise<{ sum: number; count: number }> {
  const series = parseHistograms(await (await fetch(metricsUrl)).text(), ONLINE_METRIC.batchRows);
  return series.find((s) => s.labels.model === 'duration') ?? { sum: Number.NaN, count: Number.NaN };
}

/** One saturated run of `server`: its load, its CPU, the rides per model call meanwhile. */
async function saturatedRun(server: Server, bodies: string[], plan: OnlinePlan): Promise<SaturatedRound> {
  const before = server.metricsUrl ? await batchRows(server.metricsUrl) : undefined;
  const cpu = cpuWhile(server);
  const load = await saturate(server.url, bodies, plan.connections, plan.saturatedSec);
  const saturatedCpu = cpu(load.requests);
  const after = server.metricsUrl ? await batchRows(server.metricsUrl) : undefined;
  const meanBatchRows = before && after ? (after.sum - before.sum) / (after.count - before.count) : undefined;
  return { load, cpu: saturatedCpu, meanBatchRows };
}

/** What one saturated round of a server measured. */
interface SaturatedRound {
  load: LoadRun;
  cpu: ServerCpu;
  meanBatchRows?: number;
}

/** A server's figures: the round of median requests/s stands for its saturated figures. */
function resultOf(rounds: SaturatedRound[], fixed: LoadRun): OnlineTargetResult {
  const rates = rounds.map((r) => r.load.requestsPerSec);
  const median = rounds[rates.indexOf(quantile(rates, 0.5))];
  return {
    saturated: median.load,
    rounds: rates,
    saturatedCpu: median.cpu,
    atRate: fixed,
    meanBatchRows: median.meanBatchRows,
  };
}

/** Meters `server`'s CPU from now; the returned function reads it after `requests` answers. */
function cpuWhile(server: Server): (requests: number) => ServerCpu {
  const pids = processTree(server.pid);
  const used = (): number => pids.reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), 0);
  const start = { at: performance.now(), cpu: used(), thread: mainThreadCpuSeconds(server.pid) };
  return (requests) => {
    const seconds = (performance.now() - start.at) / 1000;
    const cpu = used() - start.cpu;
    return {
      cores: cpu / seconds,
      usPerRequest: (cpu / requests) * 1e6,
      servingThread: server.node ? (mainThreadCpuSeconds(server.pid) - start.thread) / seconds : undefined,
    };
  };
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
  const servers = new Map<OnlineTarget, Server>();
  try {
    for (const target of ONLINE_TARGETS) {
      ctx.say(`online: starting ${target}`);
      try {
        const server = await starts[target]();
        servers.set(target, server);
        await saturate(server.url, bodies, plan.connections, plan.warmupSec);
      } catch (err) {
        if (target !== 'peer') throw err;
        await servers.get(target)?.stop();
        servers.delete(target);
        result.peerSkipped = err instanceof Error ? err.message : String(err);
        ctx.say(`online: peer not measured: ${result.peerSkipped}`);
      }
    }
    const measured = [...servers.keys()];
    const rounds = new Map<OnlineTarget, SaturatedRound[]>(measured.map((t) => [t, []]));
    for (let round = 0; round < plan.rounds; round++) {
      // Each round starts one server later: none is always first or last.
      const order = measured.map((_, i) => measured[(i + round) % measured.length]);
      for (const target of order) {
        const run = await saturatedRun(servers.get(target)!, bodies, plan);
        rounds.get(target)!.push(run);
        ctx.say(
          `online round ${round + 1}/${plan.rounds} ${target}: ${Math.round(run.load.requestsPerSec)} requests/s, ${run.cpu.usPerRequest.toFixed(1)} µs CPU per request`,
        );
      }
    }
    for (const target of measured) {
      const fixed = await atRate(servers.get(target)!.url, bodies, plan.ratePerSec, plan.rateSec);
      ctx.say(
        `online ${target} at ${plan.ratePerSec}/s: p50 ${fixed.latencyMs.p50.toFixed(2)} ms, p99 ${fixed.latencyMs.p99.toFixed(2)} ms`,
      );
      result.targets[target] = resultOf(rounds.get(target)!, fixed);
    }
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
  return result;
}
