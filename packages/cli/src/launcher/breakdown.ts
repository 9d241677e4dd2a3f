import { histogramQuantile, METRIC, parseHistograms } from '@fleet/core';

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

/**
 * Reads each service's `/metrics` and returns its per-hop latency percentiles (from the
 * `fleet_hop_seconds` and `fleet_event_to_output_seconds` histograms, interpolated inside
 * buckets as Prometheus does). A service that does not answer is left out.
 */
export async function readBreakdown(services: ReadonlyArray<{ name: string; port: number }>): Promise<HopFigure[]> {
  const out: HopFigure[] = [];
  for (const { name, port } of services) {
    let text: string;
    try {
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    } catch {
      continue;
    }
    const series = [
      ...parseHistograms(text, METRIC.hop).map((s) => ({ ...s, hop: s.labels.hop ?? '?' })),
      ...parseHistograms(text, METRIC.eventToOutput).map((s) => ({ ...s, hop: 'event→output' })),
    ];
    for (const s of series.sort((a, b) => HOPS.indexOf(a.hop) - HOPS.indexOf(b.hop))) {
      if (s.count === 0) continue;
      out.push({
        service: name,
        hop: s.hop,
        count: s.count,
        p50: ms(histogramQuantile(s, 0.5)),
        p99: ms(histogramQuantile(s, 0.99)),
      });
    }
  }
  return out;
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
