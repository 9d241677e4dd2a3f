import { histogramQuantile, METRIC, parseHistograms, type HistogramSeries } from '@fleet/core';

/** Where a service's records spend their time: one hop's percentiles, ms. */
export interface HopFigure {
  service: string;
  /** `consume`, `process`, `produce`, or `event→output` (the fleet's latency up to here). */
  hop: string;
  count: number;
  p50: number;
  p99: number;
}

/** The order hops are printed in, as a record travels. */
const HOPS = ['consume', 'process', 'produce', 'event→output'];

const ms = (seconds: number): number => Math.round(seconds * 10_000) / 10;

/** One service's hop histograms as read from its `/metrics` (cumulative since it started). */
export interface HopSeries {
  service: string;
  series: Array<HistogramSeries & { hop: string }>;
}

/**
 * Reads each service's `fleet_hop_seconds` and `fleet_event_to_output_seconds` histograms
 * from its `/metrics`. A service that does not answer is left out.
 */
export async function readHopSeries(services: ReadonlyArray<{ name: string; port: number }>): Promise<HopSeries[]> {
  const out: HopSeries[] = [];
  for (const { name, port } of services) {
    let text: string;
    try {
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    } catch {
      continue;
    }
    out.push({
      service: name,
      series: [
        ...parseHistograms(text, METRIC.hop).map((s) => ({ ...s, hop: s.labels.hop ?? '?' })),
        ...parseHistograms(text, METRIC.eventToOutput).map((s) => ({ ...s, hop: 'event→output' })),
      ],
    });
  }
  return out;
}

/** `after` less `before` (the same series read earlier), bucket by bucket: what was observed in between. */
function since(after: HistogramSeries, before: HistogramSeries | undefined): HistogramSeries {
  if (!before) return after;
  const earlier = new Map(before.buckets);
  return {
    ...after,
    buckets: after.buckets.map(([upper, cumulative]) => [upper, cumulative - (earlier.get(upper) ?? 0)]),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * Per-hop latency percentiles of each service (interpolated inside buckets as Prometheus
 * does), from histograms read by {@link readHopSeries}; with `before`, an earlier reading of
 * the same services, only of what was observed between the two readings.
 */
export function hopFigures(after: readonly HopSeries[], before: readonly HopSeries[] = []): HopFigure[] {
  const out: HopFigure[] = [];
  for (const { service, series } of after) {
    const earlier = before.find((b) => b.service === service)?.series ?? [];
    for (const s of [...series].sort((a, b) => HOPS.indexOf(a.hop) - HOPS.indexOf(b.hop))) {
      const d = since(
        s,
        earlier.find((e) => e.hop === s.hop),
      );
      if (d.count === 0) continue;
      out.push({
        service,
        hop: s.hop,
        count: d.count,
        p50: ms(histogramQuantile(d, 0.5)),
        p99: ms(histogramQuantile(d, 0.99)),
      });
    }
  }
  return out;
}

/** Each service's per-hop latency percentiles since it started ({@link hopFigures} of one reading). */
export async function readBreakdown(services: ReadonlyArray<{ name: string; port: number }>): Promise<HopFigure[]> {
  return hopFigures(await readHopSeries(services));
}

/** The breakdown as a text table, one line per service. */
export function formatBreakdown(figures: readonly HopFigure[]): string {
  const services = [...new Set(figures.map((f) => f.service))];
  const width = Math.max(0, ...services.map((s) => s.length));
  const lines = services.map((service) => {
    const cells = figures
      .filter((f) => f.service === service)
      .map((f) => `${f.hop} ${f.p50}/${f.p99}`)
      .join('  ');
    return `  ${service.padEnd(width)}  ${cells}`;
  });
  return ["where the time goes, ms p50/p99 per hop (from each service's /metrics):", ...lines].join('\n');
}
