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
  let previous: { at: number; rides: number; decisions: number } | undefined;
  const latencyHistory: Array<{ at: number; series: HistogramSeries }> = [];
  return async function collect(): Promise<Snapshot> {
    const at = Date.now();
    const found = targets();
    const texts = await Promise.all(found.map(scrape));
    const of = (service: string) => texts.filter((t, i): t is string => t !== null && found[i].service === service);
    const topics = new Set(await admin.listTopics());
    const rides = topics.has(config.topicRides)
      ? sum((await admin.fetchEndOffsets(config.topicRides)).map((p) => Number(p.offset)))
      : 0;
    const decisions = sum(of('decision').flatMap((t) => parseSamples(t, METRIC.decisions).map((s) => s.value)));
    const rate = (now: number, before: number | undefined) =>
      previous && before !== undefined && at > previous.at
        ? Math.max(0, ((now - before) * 1000) / (at - previous.at))
        : null;
    const snapshot: Snapshot = {
      at,
      services: found.map((t, i) => ({ ...t, up: texts[i] !== null })),
      ridesPerSec: rate(rides, previous?.rides),
      decisionsPerSec: rate(decisions, previous?.decisions),
      latencyMs: null,
      lag: [],
      dlq: {},
      monitor: {},
    };
    previous = { at, rides, decisions };
    const latency = addSeries(of('decision').flatMap((t) => parseHistograms(t, METRIC.eventToOutput)));
    if (latency) {
      latencyHistory.push({ at, series: latency });
      while (latencyHistory.length > 1 && latencyHistory[1].at <= at - LATENCY_WINDOW_MS) latencyHistory.shift();
      const recent = delta(latency, latencyHistory.length > 1 ? latencyHistory[0].series : undefined);
      if (recent.count > 0) {
        const q = (p: number) => ms(histogramQuantile(recent, p));
        snapshot.latencyMs = { p50: q(0.5), p95: q(0.95), p99: q(0.99), count: recent.count };
      }
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
