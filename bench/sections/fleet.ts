/**
 * The whole fleet as processes (duration, cost, tip, decision, monitor), fed by the backend's ride
 * replay at fixed offered rates; ride→decision latency from the backend's decisions listener
 * (decision received − ride event_time), CPU per 1,000 rides and peak RSS per process.
 */
import { createDecisionListener, createRidePublisher, replayRides } from '@fleet/backend';
import { MODEL_NAMES } from '@fleet/contract';
import { formatBreakdown, hopFigures, readHopSeries, type HopFigure } from '@fleet/cli/launcher';
import { dlqTopic, quantile } from '@fleet/core';
import type { BenchContext } from '../lib/context.js';
import { cpuMeter } from '../lib/procstat.js';
import { peakRssMb, startService, stopAll, waitAllReady, type BenchProcess } from '../lib/services.js';
import { totalOf } from '../lib/verdict.js';

/** One offered rate. */
export interface RateStep {
  offeredPerSec: number;
  /** Rate the replay actually sent at. */
  sentPerSec: number;
  sent: number;
  decided: number;
  complete: number;
  degraded: number;
  /** Decisions per second received while the replay was sending. */
  decidedPerSecDuringSend: number;
  /** From the last ride sent to the last decision received, ms. */
  drainMs: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Ride event_time → decision produced (decided_at): the fleet without the listener's hop. */
  decidedLatencyMs: { p50: number; p99: number };
  /** CPU seconds per 1,000 rides, per process (bench = replay producer + decisions listener). */
  cpuSecPer1000: Record<string, number>;
  sustained: boolean;
  /**
   * Where the time went during the step: each ride-path service's hops, from its `/metrics`
   * histograms read before and after the step (absent in results of runs before it was measured).
   */
  hops?: HopFigure[];
}

/** The processes on the rides' path: the three model services, the decision service, the broker. */
export const RIDE_PATH_PROCESSES = [...MODEL_NAMES, 'decision', 'broker'] as const;

/** The fleet's own processes: its five services and the broker (not the bench's replay and listener). */
export const FLEET_PROCESSES = [...MODEL_NAMES, 'decision', 'monitor', 'broker'] as const;

/**
 * CPU s per 1,000 rides of the fleet's own processes ({@link FLEET_PROCESSES}) at a step.
 * NaN unless each was metered: without the broker (not found on the machine) or a service,
 * the sum would read as a cheaper fleet.
 */
export function fleetCpu(step: Pick<RateStep, 'cpuSecPer1000'>): number {
  return totalOf(step.cpuSecPer1000, FLEET_PROCESSES);
}

/** Result of the fleet stage. */
export interface FleetResult {
  steps: RateStep[];
  /**
   * Highest offered rate that was sustained (see {@link isSustained}) below the lowest that
   * was not: a rate that held above one that failed does not count ({@link sustainedRange}).
   */
  highestSustainedPerSec: number;
  /** Lowest offered rate that was not sustained, if any was tried. */
  lowestUnsustainedPerSec: number | null;
  peakRssMb: Record<string, number>;
  env: Record<string, string>;
  partitions: number;
}

/** Options of {@link measureFleet}. */
export interface FleetOptions {
  rates: number[];
  stepSec: number;
  /** Further rates to try to narrow the highest sustained rate. */
  searchSteps: number;
  brokerPid: number | undefined;
  /** Extra environment of every service (tuning experiments). */
  env?: Record<string, string>;
  tag?: string;
  /** Partitions of rides, predictions and decisions. @default 6 */
  partitions?: number;
  /**
   * Seconds of traffic at 300 rides/s before the first measured rate (the plan's
   * `fleetWarmupSec` unless a stage compares its own): no default, so no run is warmed less
   * than the fleet stage by omission.
   */
  warmupSec: number;
}

/**
 * Sustained: the replay reached the offered rate (≥ 95 %), every ride got a complete
 * decision, the decisions kept pace (≥ 95 % of the offered rate while sending), the last
 * decision came within 1 s of the last ride, and p99 stayed ≤ 1 s (lag bounded).
 */
export function isSustained(s: Omit<RateStep, 'sustained'>): boolean {
  return (
    s.sentPerSec >= 0.95 * s.offeredPerSec &&
    s.decided === s.sent &&
    s.degraded === 0 &&
    s.decidedPerSecDuringSend >= 0.95 * s.offeredPerSec &&
    s.drainMs <= 1000 &&
    s.latencyMs.p99 <= 1000
  );
}

/**
 * The highest sustained rate and the lowest unsustained one of a run's steps. The highest
 * is taken below the lowest failure: with 2,000 rides/s failed and 5,000 held (noise, or a
 * rate tried after the fleet recovered), 5,000 is not a rate the fleet sustains.
 */
export function sustainedRange(
  steps: ReadonlyArray<Pick<RateStep, 'offeredPerSec' | 'sustained'>>,
): Pick<FleetResult, 'highestSustainedPerSec' | 'lowestUnsustainedPerSec'> {
  const failed = steps.filter((s) => !s.sustained).map((s) => s.offeredPerSec);
  const lowestUnsustainedPerSec = failed.length ? Math.min(...failed) : null;
  const ok = steps
    .filter((s) => s.sustained && (lowestUnsustainedPerSec === null || s.offeredPerSec < lowestUnsustainedPerSec))
    .map((s) => s.offeredPerSec);
  return { highestSustainedPerSec: ok.length ? Math.max(...ok) : 0, lowestUnsustainedPerSec };
}

/**
 * The next rate of the search: ×1.5 past the top when all held, else halfway (to 250) into
 * the gap between {@link sustainedRange}'s two rates; undefined when the gap is too narrow.
 */
export function nextRate(steps: ReadonlyArray<Pick<RateStep, 'offeredPerSec' | 'sustained'>>): number | undefined {
  const { highestSustainedPerSec: lo, lowestUnsustainedPerSec: hi } = sustainedRange(steps);
  if (hi === null) return lo > 0 ? lo * 1.5 : undefined;
  const mid = Math.round((lo + hi) / 2 / 250) * 250;
  return mid > lo && mid < hi ? mid : undefined;
}

/** A decision the listener received during a step (duplicates of a ride included). */
export interface StepDecision {
  rideId: string;
  /** Ride event_time → decision received, ms. */
  latencyMs: number;
  /** Ride event_time → decision produced (decided_at), ms. */
  decidedLatencyMs: number;
  /** When the listener received it, ms since the epoch. */
  receivedAt: number;
  complete: boolean;
}

/** What a step recorded: the rides sent and when, the decisions received, CPU seconds. */
export interface StepRecord {
  offeredPerSec: number;
  /** Ids of the rides the replay sent. */
  sentIds: readonly string[];
  /** The replay's start and end, ms since the epoch. */
  sendStartMs: number;
  sendEndMs: number;
  /** In the order received. */
  decisions: readonly StepDecision[];
  /** CPU seconds per process over the step. */
  cpuSec: Record<string, number>;
}

/**
 * The figures of a step. Each ride sent counts once, by its first decision: a duplicate
 * (a redelivery) neither stands in for a ride that got none nor enters the percentiles.
 */
export function stepFigures(record: StepRecord): RateStep {
  const sent = new Set(record.sentIds);
  const first = new Map<string, StepDecision>();
  for (const d of record.decisions) if (sent.has(d.rideId) && !first.has(d.rideId)) first.set(d.rideId, d);
  const decisions = [...first.values()];
  const lat = decisions.map((d) => d.latencyMs);
  const decidedLat = decisions.map((d) => d.decidedLatencyMs);
  const sendSec = (record.sendEndMs - record.sendStartMs) / 1000;
  // A loop, not Math.max(...): a long step has more decisions than a call takes arguments.
  const lastAt = decisions.reduce((last, d) => Math.max(last, d.receivedAt), 0);
  const step: Omit<RateStep, 'sustained'> = {
    offeredPerSec: record.offeredPerSec,
    sentPerSec: sent.size / sendSec,
    sent: sent.size,
    decided: decisions.length,
    complete: decisions.filter((d) => d.complete).length,
    degraded: decisions.filter((d) => !d.complete).length,
    decidedPerSecDuringSend: decisions.filter((d) => d.receivedAt <= record.sendEndMs).length / sendSec,
    drainMs: lastAt ? Math.max(0, lastAt - record.sendEndMs) : Number.NaN,
    latencyMs: { p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), p99: quantile(lat, 0.99), max: quantile(lat, 1) },
    decidedLatencyMs: { p50: quantile(decidedLat, 0.5), p99: quantile(decidedLat, 0.99) },
    cpuSecPer1000: Object.fromEntries(Object.entries(record.cpuSec).map(([name, s]) => [name, (s / sent.size) * 1000])),
  };
  return { ...step, sustained: isSustained(step) };
}

/** A step's decisions as received, and the distinct rides they decided so far. */
interface StepTracker {
  decisions: StepDecision[];
  rides: Set<string>;
}

/** Runs the fleet at each offered rate in turn (services stay up across rates). */
export async function measureFleet(ctx: BenchContext, options: FleetOptions): Promise<FleetResult> {
  const tag = options.tag ?? '';
  const topics = {
    rides: ctx.topic(`fleet${tag}-rides`),
    predictions: ctx.topic(`fleet${tag}-predictions`),
    decisions: ctx.topic(`fleet${tag}-decisions`),
    completed: ctx.topic(`fleet${tag}-completed`),
    health: ctx.topic(`fleet${tag}-health`),
  };
  await ctx.createTopics(
    [topics.rides, topics.predictions, topics.decisions, topics.completed],
    options.partitions ?? 6,
  );
  await ctx.createTopics([dlqTopic(topics.rides), dlqTopic(topics.predictions), dlqTopic(topics.completed)], 1);
  await ctx.createTopics([topics.health], 1);
  const env = {
    KAFKA_BROKERS: ctx.brokers,
    SCHEMA_REGISTRY_URL: ctx.registryUrl,
    TOPIC_RIDES: topics.rides,
    TOPIC_PREDICTIONS: topics.predictions,
    TOPIC_DECISIONS: topics.decisions,
    TOPIC_COMPLETED: topics.completed,
    TOPIC_MODEL_HEALTH: topics.health,
    ...options.env,
  };
  const procs: BenchProcess[] = [];
  for (const model of MODEL_NAMES) {
    procs.push(
      await startService(model, `fleet${tag}-${model}`, { ...env, GROUP_ID: ctx.group(`fleet${tag}-${model}`) }),
    );
  }
  procs.push(
    await startService('decision', `fleet${tag}-decision`, { ...env, GROUP_ID: ctx.group(`fleet${tag}-decision`) }),
  );
  // The monitor reads rides and predictions beside the decision, as in `fleet up`: its cost is the fleet's.
  procs.push(
    await startService('monitor', `fleet${tag}-monitor`, { ...env, GROUP_ID: ctx.group(`fleet${tag}-monitor`) }),
  );
  const trackers = new Map<string, StepTracker>();
  const listener = await createDecisionListener({
    kafka: ctx.kafka,
    registry: ctx.registry,
    topic: topics.decisions,
    logger: ctx.logger,
    groupId: ctx.group(`fleet${tag}-listener`),
    onDecision: (d) => {
      const tracker = trackers.get(d.ride_id.slice(0, d.ride_id.lastIndexOf('-')));
      if (!tracker) return;
      tracker.decisions.push({
        rideId: d.ride_id,
        latencyMs: d.latency_ms,
        decidedLatencyMs: d.decided_at - d.event_time,
        receivedAt: d.received_at,
        complete: d.complete,
      });
      tracker.rides.add(d.ride_id);
    },
  });
  const publisher = await createRidePublisher(ctx.kafka, ctx.registry, topics.rides);
  try {
    ctx.say(`fleet${tag}: starting duration, cost, tip, decision and monitor processes`);
    await waitAllReady(procs);
    await listener.start();
    const pids: Record<string, number> = Object.fromEntries(procs.map((p) => [p.service, p.pid]));
    if (options.brokerPid) pids.broker = options.brokerPid;
    pids.bench = process.pid;
    const fleet: Fleet = {
      publisher,
      trackers,
      pids,
      ridePath: procs.filter((p) => p.service !== 'monitor').map((p) => ({ name: p.service, port: p.port })),
    };
    // Warm-up: JIT, schema caches, connections; not measured.
    await runStep(ctx, fleet, 300, options.warmupSec, `warm${tag}`);
    const steps: RateStep[] = [];
    for (const rate of options.rates) steps.push(await runStep(ctx, fleet, rate, options.stepSec, `r${rate}${tag}`));
    for (let i = 0; i < options.searchSteps; i++) {
      const next = nextRate(steps);
      if (next === undefined) break;
      steps.push(await runStep(ctx, fleet, next, options.stepSec, `r${next}${tag}`));
    }
    return {
      steps,
      ...sustainedRange(steps),
      peakRssMb: Object.fromEntries(procs.map((p) => [p.service, peakRssMb(p)])),
      env: options.env ?? {},
      partitions: options.partitions ?? 6,
    };
  } finally {
    await listener.stop().catch(() => undefined);
    await publisher.close().catch(() => undefined);
    await stopAll(procs);
  }
}

/** What every step of a stage drives and reads: the replay, the listener's trackers, the processes. */
interface Fleet {
  publisher: Awaited<ReturnType<typeof createRidePublisher>>;
  trackers: Map<string, StepTracker>;
  /** Processes metered for CPU, by name. */
  pids: Record<string, number>;
  /** The model services and the decision service, whose `/metrics` give each step's hops. */
  ridePath: Array<{ name: string; port: number }>;
}

async function runStep(
  ctx: BenchContext,
  fleet: Fleet,
  rate: number,
  seconds: number,
  prefix: string,
): Promise<RateStep> {
  const { publisher, trackers, pids } = fleet;
  const tracker: StepTracker = { decisions: [], rides: new Set() };
  trackers.set(prefix, tracker);
  const count = Math.round(rate * seconds);
  ctx.say(`  offered ${rate} rides/s for ${seconds} s (${count} rides)`);
  const hopsBefore = await readHopSeries(fleet.ridePath);
  const meter = cpuMeter(pids);
  const t0 = Date.now();
  const sent = await replayRides(publisher, { templates: ctx.templates, count, ratePerSec: rate, idPrefix: prefix });
  const t1 = Date.now();
  // Wait for every ride's decision (degraded ones come after the join timeout) or give up.
  const deadline = t1 + 30_000;
  while (tracker.rides.size < sent.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const cpuSec = meter.read();
  const hops = hopFigures(await readHopSeries(fleet.ridePath), hopsBefore);
  const result = stepFigures({
    offeredPerSec: rate,
    sentIds: sent.map((s) => s.ride.ride_id),
    sendStartMs: t0,
    sendEndMs: t1,
    decisions: [...tracker.decisions],
    cpuSec,
  });
  result.hops = hops;
  if (tracker.rides.size < sent.length) {
    // A backlog: let the fleet catch up so the next step starts from an empty pipeline.
    ctx.say('    backlog: waiting up to 60 s more for the fleet to catch up');
    while (tracker.rides.size < sent.length && Date.now() < t1 + 90_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  trackers.delete(prefix);
  ctx.say(
    `    sent ${result.sentPerSec.toFixed(0)}/s · decided ${result.decided}/${result.sent} · p50 ${result.latencyMs.p50} p99 ${result.latencyMs.p99} ms · ${result.sustained ? 'sustained' : 'NOT sustained'}`,
  );
  if (hops.length > 0) ctx.say(formatBreakdown(hops).replace(/^/gm, '    '));
  return result;
}
