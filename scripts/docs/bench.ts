/**
 * The benchmark's figures: bench/results/latest.json (written by `npm run bench`) rendered
 * as the README's performance table ({@link benchSummary}) and as bench/README.md's tables
 * ({@link benchDetail}, in bench-detail.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ratioToBound, type BenchResults } from '../../bench/lib/report.js';
import { isMeasured, outcome, totalOf, type Outcome } from '../../bench/lib/verdict.js';
import { RIDE_PATH_PROCESSES, type RateStep } from '../../bench/sections/fleet.js';
import { batchingRows } from './bench-batching.js';
import { clientRows } from './bench-clients.js';
import { modelCostRows } from './bench-model-cost.js';
import { onlineRows } from './bench-online.js';
import { peerRows } from './bench-peer.js';
import { provenanceLine } from './provenance.js';
import { markdown, REPO_ROOT, table } from './sections.js';

/** Where `npm run bench` writes its results. */
export const BENCH_JSON = 'bench/results/latest.json';

/** The issue's targets, which the table says are met or not. */
export const TARGETS = {
  ratioToBound: 0.8,
  p50Ms: 10,
  p99Ms: 25,
  p99AtPerSec: 1000,
  sustainedPerSec: 10_000,
  /**
   * The whole fleet at `p99AtPerSec`, CPU s per 1,000 rides, as the issue counts it: the
   * four services on the rides' path and the broker ({@link ridePathCpu}).
   */
  fleetCpuSecPer1000: 0.5,
};

/**
 * CPU s per 1,000 rides of the services on the rides' path (three models, decision) and the
 * broker: the fleet's own processes without the monitor, which came after the target was set.
 * NaN unless each of them was metered.
 */
export function ridePathCpu(step: Pick<RateStep, 'cpuSecPer1000'>): number {
  return totalOf(step.cpuSecPer1000, RIDE_PATH_PROCESSES);
}

/** The last run, or undefined before the first one. */
export function readBenchResults(): BenchResults | undefined {
  const path = join(REPO_ROOT, BENCH_JSON);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as BenchResults) : undefined;
}

/** 78.9k, 503k, 1.12M. */
export function si(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '–';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e5) return `${Math.round(x / 1e3)}k`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return String(Math.round(x));
}

/** `x` with `digits` decimals and thousands separators; a dash when absent. */
export function num(x: number | undefined | null, digits = 0): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '–';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A difference with its sign: "+3", "−0.04", "±0"; a dash when not measured. */
export function signed(x: number, digits = 0): string {
  if (!isMeasured(x)) return '–';
  return `${x > 0 ? '+' : x < 0 ? '−' : '±'}${num(Math.abs(x), digits)}`;
}

/** "0.19" or "0.19–0.21": the spread of a few values. */
function range(values: number[], digits: number): string {
  if (values.length === 0) return '–';
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  return num(lo, digits) === num(hi, digits) ? num(lo, digits) : `${num(lo, digits)}–${num(hi, digits)}`;
}

/**
 * A target's verdict as the README says it: "met", "**not met**" (to stand out), or "not
 * measured"; judge it with {@link outcome}, which says the latter unless every figure compared
 * was measured.
 */
export const met = (o: Outcome): string => (o === 'not met' ? '**not met**' : o);

/** Steps in order of offered rate (the fleet's search for the highest rate tries them out of order). */
export function byRate<T extends { offeredPerSec: number }>(steps: ReadonlyArray<T>): T[] {
  return [...steps].sort((a, b) => a.offeredPerSec - b.offeredPerSec);
}

/** "2026-11-25 15:57 UTC · commit … · machine · full run (259 s) · load average 3.85 → 4.06". */
export function runLine(r: BenchResults): string {
  const load = (l: string | undefined): string => l?.split(' ')[0] ?? '–';
  const kind = r.quick ? '`--quick` run (a smoke test: quote a full run)' : 'full run';
  return `${provenanceLine({ date: r.timestamp, commit: r.commit, info: r.info })} · ${kind}, ${num(r.durationSec)} s · load average ${load(r.info.machine.loadavgAtStart)} at start, ${load(r.loadavgAtEnd)} at end`;
}

const NOT_YET = [
  '_Not recorded yet: `npm run bench` writes `bench/results/latest.json`, from which this is generated._',
];

function ceilingRows(r: BenchResults): string[][] {
  const rows: string[][] = [];
  const k = r.ceilings?.kafkaPerfTools;
  if (k) {
    rows.push([
      `Kafka's own perf tools, ${k.recordSize} B records, acks=all`,
      `producer ${si(k.producer.recordsPerSec)}/s, consumer ${si(k.consumer.recordsPerSec)}/s`,
      'ceiling (a)',
    ]);
  }
  const c = r.ceilings?.kafkajsConsumer;
  if (c) rows.push(['kafkajs do-nothing consumer (through the seam)', `${si(c.ratePerSec)} records/s`, 'ceiling (b)']);
  const p = r.ceilings?.kafkajsPipe;
  if (p) {
    const batch = `${num(p.meanBatch)} records per batch`;
    rows.push([
      'kafkajs do-nothing pipe (consume + re-produce)',
      `${si(p.ratePerSec)} records/s, ${batch}`,
      'ceiling (c)',
    ]);
  }
  const alt = r.altClient;
  if (alt?.skipped) rows.push([`${alt.name} do-nothing consumer / pipe`, `not measured: ${alt.skipped}`, '']);
  else if (alt) {
    const rates = `${si(alt.consumer?.ratePerSec)} / ${si(alt.pipe?.ratePerSec)} records/s`;
    rows.push([`${alt.name} ${alt.version} do-nothing consumer / pipe`, rates, '']);
  }
  return rows;
}

function serviceRows(r: BenchResults): string[][] {
  const rows: string[][] = [];
  const services = r.modelServices ?? [];
  if (services.length > 0) {
    const names = services.map((s) => s.model).join(' / ');
    const rates = services.map((s) => si(s.ratePerSec)).join(' / ');
    const toPipe = services.map((s) => num(s.ratioToPipe, 2)).join(' / ');
    const bounds = services.map((s) => ratioToBound(r, s));
    const around = services.every((s) => s.pipePerSec !== undefined) ? ', measured around each' : '';
    const atLeast = bounds.every((b) => b >= TARGETS.ratioToBound);
    const ok = outcome(bounds, atLeast);
    rows.push([
      `model service alone, saturated: ${names}`,
      `${rates} rides/s = ${toPipe} of (c)${around} = **${bounds.map((b) => num(b, 2)).join(' / ')} of 1 / ((c)'s µs per record + the model's µs per ride)**`,
      `≥ ${TARGETS.ratioToBound} of the latter: ${met(ok)}`,
    ]);
  }
  const t2 = r.tuning?.serviceOnnxThreads2;
  if (t2) {
    const rate = `${si(t2.ratePerSec)} rides/s = ${num(t2.ratioToPipe, 2)} of (c)`;
    rows.push([`${t2.model} service alone, \`ONNX_INTRA_OP_THREADS=2\``, rate, '']);
  }
  const points = (r.inference?.points ?? []).filter((p) => p.model === 'duration' && p.threads === 1);
  if (points.length > 0) {
    const largest = points[points.length - 1];
    rows.push([
      `ONNX inference, 1 thread, batch ${points.map((p) => num(p.batch)).join(' / ')} (duration)`,
      `${points.map((p) => num(p.usPerCall)).join(' / ')} µs per call (${num(largest.usPerRow, 1)} µs per row at ${num(largest.batch)})`,
      '',
    ]);
  }
  rows.push(...modelCostRows(r));
  const s = r.inference?.serde;
  if (s) {
    const avro = [s.rideDecodeUs, s.rideDecodeValidateUs, s.rideEncodeUs].map((x) => num(x, 2)).join(' / ');
    rows.push([
      'Avro decode / decode + validate / encode; features',
      `${avro} µs per record; ${num(s.featuresUsPerRow, 2)} µs per row`,
      '',
    ]);
  }
  return rows;
}

/** p50 / p95 / p99 of the steps at `rates` and whether p99 meets the target at the target rate. */
function latencyRow(label: string, steps: RateStep[], rates: number[]): string[] {
  const chosen = byRate(steps).filter((s) => rates.includes(s.offeredPerSec));
  const at = chosen.map((s) => num(s.offeredPerSec)).join(' · ');
  const ms = chosen.map((s) => [s.latencyMs.p50, s.latencyMs.p95, s.latencyMs.p99].map((x) => num(x)).join(' / '));
  const target = chosen.find((s) => s.offeredPerSec === TARGETS.p99AtPerSec)?.latencyMs;
  const ok = target && outcome([target.p99], target.p99 <= TARGETS.p99Ms);
  const verdict = ok ? `p99 ≤ ${TARGETS.p99Ms} ms: ${met(ok)}` : '';
  return [`${label}, p50 / p95 / p99 at ${at} rides/s`, `${ms.join(' · ')} ms`, verdict];
}

function fleetRows(r: BenchResults): string[][] {
  const rows: string[][] = [];
  const fleet = r.fleet;
  if (fleet) rows.push(latencyRow(`whole fleet, ${fleet.partitions} partitions`, fleet.steps, [TARGETS.p99AtPerSec]));
  const one = r.tuning?.fleetOnePartition;
  if (one) {
    const rates = [TARGETS.p99AtPerSec, Math.max(...one.steps.map((s) => s.offeredPerSec))];
    rows.push(latencyRow('whole fleet, **1 partition per topic**', one.steps, rates));
  }
  if (!fleet) return rows;
  const failed = fleet.lowestUnsustainedPerSec;
  const highest = fleet.highestSustainedPerSec;
  rows.push([
    'highest sustained rate (decisions keep pace, lag bounded)',
    `${num(highest)} rides/s${failed === null ? ' (every rate tried held)' : ` (${num(failed)} did not hold)`}`,
    `≥ ${num(TARGETS.sustainedPerSec)}: ${met(outcome([highest], highest >= TARGETS.sustainedPerSec))}`,
  ]);
  const step = fleet.steps.find((s) => s.offeredPerSec === 1000) ?? byRate(fleet.steps)[0];
  const cpu = step?.cpuSecPer1000 ?? {};
  const models = ['duration', 'cost', 'tip'];
  const modelCpu = models.map((m) => cpu[m]).filter((x) => x !== undefined);
  rows.push([
    `CPU per 1,000 rides at ${num(step?.offeredPerSec)} rides/s: each model service / decision / broker`,
    `${range(modelCpu, 2)} / ${num(cpu.decision, 2)} / ${num(cpu.broker, 2)} CPU s`,
    '',
  ]);
  const rss = models.map((m) => fleet.peakRssMb[m]).filter((x) => x !== undefined);
  rows.push(['peak RSS: model service / decision', `${range(rss, 0)} MB / ${num(fleet.peakRssMb.decision)} MB`, '']);
  return rows;
}

/** The stages that failed in the run, under a heading; none when every stage ran. */
export function failedStages(r: BenchResults): string[] {
  const errors = Object.entries(r.errors).map(([stage, message]) => `- \`${stage}\` failed: ${message}`);
  return errors.length > 0 ? ['Stages that failed in this run:', '', ...errors] : [];
}

/** One line per stage whose figures come from another run than the file's own (`--merge`). */
export function mergedRunLines(r: BenchResults): string[] {
  const runs = Object.entries(r.stageRuns ?? {});
  if (runs.length === 0) return [];
  return [
    '',
    ...runs.map(([stage, run]) => `The \`${stage}\` figures come from another run: ${runLine({ ...r, ...run })}.`),
  ];
}

/** The README's performance table: the headline figures of the last run against the targets. */
export async function benchSummary(r = readBenchResults()): Promise<string> {
  if (!r) return markdown(NOT_YET);
  const failed = failedStages(r);
  return markdown([
    `Run of ${runLine(r)}.`,
    '',
    ...table(
      ['what', 'measured', 'target'],
      [
        ...ceilingRows(r),
        ...clientRows(r),
        ...serviceRows(r),
        ...fleetRows(r),
        ...batchingRows(r),
        ...peerRows(r),
        ...onlineRows(r),
      ],
    ),
    ...mergedRunLines(r),
    ...(failed.length > 0 ? ['', ...failed] : []),
  ]);
}
