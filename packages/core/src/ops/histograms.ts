/** One histogram series read from Prometheus text: cumulative bucket counts by upper bound. */
export interface HistogramSeries {
  /** The series' labels, `le` excluded. */
  labels: Record<string, string>;
  /** `[upper bound, cumulative count]`, ascending, `+Inf` last. */
  buckets: Array<[number, number]>;
  count: number;
  sum: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The series of histogram `name` in a `/metrics` text (Prometheus exposition format). */
export function parseHistograms(text: string, name: string): HistogramSeries[] {
  const series = new Map<string, HistogramSeries>();
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m || !m[1].startsWith(name)) continue;
    const suffix = m[1].slice(name.length);
    if (suffix !== '_bucket' && suffix !== '_count' && suffix !== '_sum') continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(LABEL)) labels[key] = value;
    const { le, ...rest } = labels;
    const key = JSON.stringify(rest);
    const entry = series.get(key) ?? { labels: rest, buckets: [], count: 0, sum: 0 };
    series.set(key, entry);
    const value = Number(m[3]);
    if (suffix === '_bucket') entry.buckets.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value]);
    else if (suffix === '_count') entry.count = value;
    else entry.sum = value;
  }
  for (const s of series.values()) s.buckets.sort((a, b) => a[0] - b[0]);
  return [...series.values()];
}

/** One sample of a gauge or counter read from Prometheus text. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of metric `name` (a gauge or counter, exactly that name) in a `/metrics` text. */
export function parseSamples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(LABEL)) labels[key] = value;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * The `q` quantile of a histogram, interpolated linearly inside its bucket as Prometheus'
 * `histogram_quantile` does (the upper bound of the last finite bucket when it falls in
 * `+Inf`); NaN when the histogram is empty.
 */
export function histogramQuantile(series: HistogramSeries, q: number): number {
  const total = series.buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [upper, cumulative] of series.buckets) {
    if (cumulative >= rank) {
      if (upper === Number.POSITIVE_INFINITY) return lower;
      const inBucket = cumulative - below;
      return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
    lower = upper;
    below = cumulative;
  }
  return lower;
}
