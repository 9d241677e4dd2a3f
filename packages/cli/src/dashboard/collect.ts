import type { ModelFigures } from '@fleet/backend';
import {
  groupLag,
  histogramQuantile,
  METRIC,
  parseHistograms,
  parseSamples,
  type AdminClient,
  type CommonConfig,
  type HistogramSeries,
} from '@fleet/core';
import { monitorFigures } from '../launcher/index.js';
import { serviceGroups } from '../ops-context.js';

/** A service process whose /metrics the dashboard reads. */
export interface Target {
  service: string;
  port: number;
}

/** One refresh of the dashboard: what the page shows. */
export interface Snapshot {
  /** Epoch ms. */
  at: number;
  services: Array<Target & { up: boolean }>;
  /** Rides published per second (the rides topic's end offsets), since the last refresh. */
  ridesPerSec: number | null;
  /** Decisions per second (the decision services' `fleet_decisions_total`), since the last refresh. */
  decisionsPerSec: number | null;
  /** Ride event → decided, ms, over the last {@link LATENCY_WINDOW_MS} (from the decision histograms). */
  latencyMs: { p50: number; p95: number; p99: number; count: number } | null;
  /** Per consumer group and partition. */
  lag: Array<{ group: string; topic: string; partition: number; lag: number }>;
  /** Dead letters by error code, since the services started. */
  dlq: Record<string, number>;
  /** The monitor's figures by window (`1m`, `15m`, …). */
  monitor: Record<string, ModelFigures[]>;
}

/** The span over which the dashboard's latency percentiles are computed. */
export const LATENCY_WINDOW_MS = 10_000;

/** A process unanswered for this long is forgotten (stopped, or its port now another's). */
const FORGET_AFTER_MS = 6 * LATENCY_WINDOW_MS;

const sum = (values: number[]) => values.reduce((s, v) => s + v, 0);

/** Adds histogram series of the same buckets (several decision instances). */
function addSeries(all: HistogramSeries[]): HistogramSeries | null {
  if (all.length === 0) return null;
  const buckets = all[0].buckets.map(([le], i): [number, number] => [le, sum(all.map((s) => s.buckets[i]?.[1] ?? 0))]);
  return { labels: {}, buckets, count: sum(all.map((s) => s.count)), sum: sum(all.map((s) => s.sum)) };
}

/** `now − before`, bucket by bucket: the observations made in between. */
function delta(now: HistogramSeries, before: HistogramSeries | undefined): HistogramSeries {
  if (!before) return now;
  const buckets = now.buckets.map(([le, c], i): [number, number] => [le, c - (before.buckets[i]?.[1] ?? 0)]);
  return { labels: {}, buckets, count: now.count - before.count, sum: now.sum - before.sum };
}

/** What one service process reported at one refresh. */
interface Reading {
  at: number;
  /** Its decisions counter. */
  decisions: number;
  /** Its event → output histogram (summed over its series), if it has one. */
  latency: HistogramSeries | null;
}

/**
 * One process's readings over the latency window. Counters are differenced per process,
 * never summed first: a process missing a refresh (a slow scrape) or restarted (its
 * counters back at zero) would otherwise make the fleet's rate drop, then jump.
 */
class ProcessReadings {
  private readonly readings: Reading[] = [];

  constructor(private readonly windowMs: number) {}

  /** Adds a reading; returns its decisions per second since the last one (null at first). */
  add(reading: Reading): { decisionsPerSec: number | null; recentLatency: HistogramSeries | null } {
    const last = this.readings.at(-1);
    const restarted =
      last !== undefined &&
      (reading.decisions < last.decisions || (reading.latency?.count ?? 0) < (last.latency?.count ?? 0));
    // A restarted process counted from zero since: its readings before are of another process.
    if (restarted) this.readings.splice(0, this.readings.length, { at: last.at, decisions: 0, latency: null });
    const before = this.readings.at(-1);
    const decisionsPerSec =
      before && reading.at > before.at
        ? ((reading.decisions - before.decisions) * 1000) / (reading.at - before.at)
        : null;
    this.readings.push(reading);
    while (this.readings.length > 1 && this.readings[1].at <= reading.at - this.windowMs) this.readings.shift();
    const oldest = this.readings.length > 1 ? this.readings[0].latency : null;
    const recentLatency = reading.latency && delta(reading.latency, oldest ?? undefined);
    return { decisionsPerSec, recentLatency };
  }

  /** When it was last read. */
  get lastAt(): number {
    return this.readings.at(-1)?.at ?? 0;
  }
}

async function scrape(target: Target): Promise<string | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${target.port}/metrics`, { signal: AbortSignal.timeout(1500) });
    return response.ok ? await response.text() : null;
  } catch {
    return null;
  }
}

const ms = (seconds: number) => Math.round(seconds * 10_000) / 10;

/**
 * The dashboard's collector: each `collect()` reads every service's `/metrics` (rates,
 * latency histograms, dead letters, the monitor's figures) and, through `admin`, the end
 * offsets of the rides topic and the lag of every group of the fleet. Rates and latency
 * percentiles are over the time since earlier calls, so call it at a steady pace.
 */
export function createCollector(admin: AdminClient, config: CommonConfig, targets: () => Target[]) {
  let previousRides: { at: number; rides: number } | undefined;
  const processes = new Map<string, ProcessReadings>();
  return async function collect(): Promise<Snapshot> {
    const at = Date.now();
    const found = targets();
    const texts = await Promise.all(found.map(scrape));
    const of = (service: string) => texts.filter((t, i): t is string => t !== null && found[i].service === service);
    const topics = new Set(await admin.listTopics());
    const rides = topics.has(config.topicRides)
      ? sum((await admin.fetchEndOffsets(config.topicRides)).map((p) => Number(p.offset)))
      : 0;
    const snapshot: Snapshot = {
      at,
      services: found.map((t, i) => ({ ...t, up: texts[i] !== null })),
      ridesPerSec:
        previousRides && at > previousRides.at
          ? Math.max(0, ((rides - previousRides.rides) * 1000) / (at - previousRides.at))
          : null,
      decisionsPerSec: null,
      latencyMs: null,
      lag: [],
      dlq: {},
      monitor: {},
    };
    previousRides = { at, rides };
    const rates: number[] = [];
    const recent: HistogramSeries[] = [];
    found.forEach((target, i) => {
      const text = texts[i];
      if (target.service !== 'decision' || text === null) return;
      const key = `${target.service}@${target.port}`;
      const readings = processes.get(key) ?? new ProcessReadings(LATENCY_WINDOW_MS);
      processes.set(key, readings);
      const { decisionsPerSec, recentLatency } = readings.add({
        at,
        decisions: sum(parseSamples(text, METRIC.decisions).map((s) => s.value)),
        latency: addSeries(parseHistograms(text, METRIC.eventToOutput)),
      });
      if (decisionsPerSec !== null) rates.push(decisionsPerSec);
      if (recentLatency) recent.push(recentLatency);
    });
    for (const [key, readings] of processes) if (readings.lastAt < at - FORGET_AFTER_MS) processes.delete(key);
    if (rates.length > 0) snapshot.decisionsPerSec = sum(rates);
    const latency = addSeries(recent);
    if (latency && latency.count > 0) {
      const q = (p: number) => ms(histogramQuantile(latency, p));
      snapshot.latencyMs = { p50: q(0.5), p95: q(0.95), p99: q(0.99), count: latency.count };
    }
    for (const text of texts) {
      if (text === null) continue;
      for (const { labels, value } of parseSamples(text, METRIC.deadLettered))
        snapshot.dlq[labels.code] = (snapshot.dlq[labels.code] ?? 0) + value;
    }
    for (const text of of('monitor'))
      for (const [window, figures] of monitorFigures(text)) snapshot.monitor[window] = figures;
    for (const g of serviceGroups(config).filter((g) => topics.has(g.topic))) {
      const lag = await groupLag(admin, g.group, g.topic);
      for (const p of lag.partitions)
        snapshot.lag.push({ group: g.group, topic: g.topic, partition: p.partition, lag: p.lag });
    }
    return snapshot;
  };
}
