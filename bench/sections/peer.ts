/**
 * Ours against the peer a Python team would write, in the same run on the same broker:
 * our fleet (three model services and the decision service), then the Python peer's three
 * model services (bench/peer/: confluent-kafka, onnxruntime, the project's Python features)
 * beside our decision service. Both are fed by the same librdkafka ride producer
 * (bench/peer/ride_producer.py), warmed by a period of traffic, then measured at each rate:
 * ride→decision latency from the decisions' own `decided_at − event_time`, and CPU per
 * 1,000 rides of the model services, the decision service and the broker.
 */
import { createDecisionListener } from '@fleet/backend';
import { MODEL_NAMES } from '@fleet/contract';
import { dlqTopic, quantile } from '@fleet/core';
import type { BenchContext } from '../lib/context.js';
import { cpuMeter } from '../lib/procstat.js';
import { peerPython, startPython, type PythonProcess } from '../lib/python.js';
import { peakRssMb, startService, type BenchProcess } from '../lib/services.js';
import { fixed } from '../lib/table.js';
import { totalOf } from '../lib/verdict.js';

/** The two sides. */
export const PEER_SIDES = ['ours', 'python'] as const;
/** One side. */
export type PeerSideName = (typeof PEER_SIDES)[number];

/** Partitions of each side's rides, predictions and decisions topics (the fleet's default). */
const PARTITIONS = 6;

/** The processes whose CPU is the fleet's cost per ride (the ride producer's is apart). */
export const PEER_FLEET_PROCESSES = [...MODEL_NAMES, 'decision', 'broker'] as const;

/**
 * CPU s per 1,000 rides of {@link PEER_FLEET_PROCESSES} from a step's figures per process;
 * NaN unless each was metered (the broker is not when it runs elsewhere), so that a side
 * never reads cheaper for a process left out.
 */
export function peerFleetCpu(cpuSecPer1000: Readonly<Record<string, number>>): number {
  return totalOf(cpuSecPer1000, PEER_FLEET_PROCESSES);
}

/** One side at one offered rate. */
export interface PeerStep {
  offeredPerSec: number;
  /** Rate the ride producer actually sent at. */
  sentPerSec: number;
  sent: number;
  decided: number;
  complete: number;
  degraded: number;
  /** `decided_at − event_time` of the step's decisions, ms. */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** CPU seconds per 1,000 rides of each process (model services, decision, broker, producer). */
  cpuSecPer1000: Record<string, number>;
  /** The sum over {@link PEER_FLEET_PROCESSES} ({@link peerFleetCpu}); NaN when one was not metered. */
  fleetCpuSecPer1000: number;
  /**
   * Predictions per batch our decision service handled (its /metrics): the fewer, the more
   * fetches, produce requests and commits each ride costs it and the broker.
   */
  decisionRecordsPerBatch: number;
}

/** One side's steps. */
export interface PeerSide {
  steps: PeerStep[];
  peakRssMb: Record<string, number>;
}

/** Result of the peer stage. */
export interface PeerResult {
  partitions: number;
  warmup: { perSec: number; seconds: number };
  stepSec: number;
  /** Versions on the Python side (interpreter, confluent-kafka, librdkafka, onnxruntime, …). */
  versions: Record<string, string>;
  ours: PeerSide;
  python: PeerSide;
}

/** Options of {@link measurePeer}. */
export interface PeerOptions {
  rates: number[];
  stepSec: number;
  warmupPerSec: number;
  warmupSec: number;
  brokerPid: number | undefined;
}

/** A process of a side: ours (launched like `fleet up`) or the peer's (Python). */
type SideProcess = (BenchProcess | PythonProcess) & { readonly name: string };

interface Tracker {
  latencies: number[];
  complete: number;
  degraded: number;
}

/** Runs our fleet, then the Python peer beside our decision service, at each rate. */
export async function measurePeer(ctx: BenchContext, options: PeerOptions): Promise<PeerResult> {
  const python = peerPython((line) => ctx.say(`peer venv: ${line}`));
  const versions: Record<string, string> = {};
  const ours = await runSide(ctx, 'ours', python, options, versions);
  const peer = await runSide(ctx, 'python', python, options, versions);
  return {
    partitions: PARTITIONS,
    warmup: { perSec: options.warmupPerSec, seconds: options.warmupSec },
    stepSec: options.stepSec,
    versions,
    ours,
    python: peer,
  };
}

async function runSide(
  ctx: BenchContext,
  side: PeerSideName,
  python: string,
  options: PeerOptions,
  versions: Record<string, string>,
): Promise<PeerSide> {
  const tag = `peer-${side}`;
  const topics = { rides: ctx.topic(`${tag}-rides`), predictions: ctx.topic(`${tag}-predictions`) };
  const decisions = ctx.topic(`${tag}-decisions`);
  await ctx.createTopics([topics.rides, topics.predictions, decisions], PARTITIONS);
  await ctx.createTopics([dlqTopic(topics.rides), dlqTopic(topics.predictions)], 1);
  const connection = ['--brokers', ctx.brokers, '--registry', ctx.registryUrl];
  const env = {
    KAFKA_BROKERS: ctx.brokers,
    SCHEMA_REGISTRY_URL: ctx.registryUrl,
    TOPIC_RIDES: topics.rides,
    TOPIC_PREDICTIONS: topics.predictions,
    TOPIC_DECISIONS: decisions,
  };
  const procs: SideProcess[] = [];
  const trackers = new Map<string, Tracker>();
  const listener = await createDecisionListener({
    kafka: ctx.kafka,
    registry: ctx.registry,
    topic: decisions,
    logger: ctx.logger,
    groupId: ctx.group(`${tag}-listener`),
    onDecision: (d) => {
      const tracker = trackers.get(d.ride_id.slice(0, d.ride_id.lastIndexOf('-')));
      if (!tracker) return;
      tracker.latencies.push(d.decided_at - d.event_time);
      if (d.complete) tracker.complete++;
      else tracker.degraded++;
    },
  });
  try {
    ctx.say(`${tag}: starting ${side === 'ours' ? 'our' : 'the Python'} model services, our decision service`);
    for (const model of MODEL_NAMES) {
      const group = ctx.group(`${tag}-${model}`);
      const topicArgs = ['--rides-topic', topics.rides, '--predictions-topic', topics.predictions, '--group', group];
      procs.push(
        side === 'ours'
          ? await startService(model, `${tag}-${model}`, { ...env, GROUP_ID: group })
          : startPython(python, 'model_service.py', [model, ...connection, ...topicArgs], `${tag}-${model}`),
      );
    }
    const decision = await startService('decision', `${tag}-decision`, {
      ...env,
      GROUP_ID: ctx.group(`${tag}-decision`),
    });
    procs.push(decision);
    const producer = startPython(
      python,
      'ride_producer.py',
      [...connection, '--topic', topics.rides],
      `${tag}-producer`,
    );
    procs.push(producer);
    const ready = await Promise.all(procs.map((p) => p.waitReady(120_000)));
    for (const message of ready) Object.assign(versions, (message as { versions?: object } | undefined)?.versions);
    await listener.start();
    const pids: Record<string, number> = { producer: producer.pid };
    for (const p of procs.slice(0, MODEL_NAMES.length + 1)) pids[p.name.slice(tag.length + 1)] = p.pid;
    if (options.brokerPid) pids.broker = options.brokerPid;
    const step = (rate: number, seconds: number, prefix: string): Promise<PeerStep> =>
      runStep(ctx, { producer, decision, trackers, pids }, rate, seconds, prefix);
    ctx.say(`  warm-up: ${options.warmupPerSec} rides/s for ${options.warmupSec} s`);
    await step(options.warmupPerSec, options.warmupSec, 'warm');
    const steps: PeerStep[] = [];
    for (const rate of options.rates) steps.push(await step(rate, options.stepSec, `r${rate}`));
    return { steps, peakRssMb: Object.fromEntries(procs.map((p) => [p.name.slice(tag.length + 1), rss(p)])) };
  } finally {
    await listener.stop().catch(() => undefined);
    await Promise.all(procs.map((p) => p.stop(30_000)));
  }
}

function rss(p: SideProcess): number {
  return 'peakRssMb' in p ? p.peakRssMb() : peakRssMb(p);
}

/** Sum and count of the `fleet_batch_size_records` histogram on a service's /metrics. */
async function batchTotals(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string): number =>
    Number(new RegExp(`^fleet_batch_size_records_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { sum: value('sum'), count: value('count') };
}

interface SideRun {
  producer: PythonProcess;
  decision: BenchProcess;
  trackers: Map<string, Tracker>;
  pids: Record<string, number>;
}

async function runStep(
  ctx: BenchContext,
  run: SideRun,
  rate: number,
  seconds: number,
  prefix: string,
): Promise<PeerStep> {
  const { producer, trackers, pids } = run;
  const tracker: Tracker = { latencies: [], complete: 0, degraded: 0 };
  trackers.set(prefix, tracker);
  const count = Math.round(rate * seconds);
  const batchesBefore = await batchTotals(run.decision.port);
  const meter = cpuMeter(pids);
  producer.send({ rate, count, prefix });
  const sent = (await producer.next(seconds * 1000 + 60_000)) as { sent: number; failed: number; seconds: number };
  if (sent.failed > 0) throw new Error(`ride producer: ${sent.failed} of ${sent.sent} rides not delivered`);
  // Every decision (degraded ones come after the join timeout), or give up after 30 s.
  const deadline = Date.now() + 30_000;
  while (tracker.latencies.length < sent.sent && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const cpu = meter.read();
  const batchesAfter = await batchTotals(run.decision.port);
  trackers.delete(prefix);
  const lat = tracker.latencies;
  const cpuSecPer1000 = Object.fromEntries(Object.entries(cpu).map(([name, s]) => [name, (s / sent.sent) * 1000]));
  const result: PeerStep = {
    offeredPerSec: rate,
    sentPerSec: sent.sent / sent.seconds,
    sent: sent.sent,
    decided: lat.length,
    complete: tracker.complete,
    degraded: tracker.degraded,
    latencyMs: { p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), p99: quantile(lat, 0.99), max: quantile(lat, 1) },
    cpuSecPer1000,
    fleetCpuSecPer1000: peerFleetCpu(cpuSecPer1000),
    decisionRecordsPerBatch: (batchesAfter.sum - batchesBefore.sum) / (batchesAfter.count - batchesBefore.count),
  };
  ctx.say(
    `    ${prefix}: sent ${result.sentPerSec.toFixed(0)}/s · decided ${result.decided}/${result.sent} · p50 ${result.latencyMs.p50} p99 ${result.latencyMs.p99} ms · ${fixed(result.fleetCpuSecPer1000, 2)} CPU s / 1,000 rides`,
  );
  return result;
}
