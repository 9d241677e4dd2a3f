/** The results of a run: the named figures, the table printed for people, the JSON file. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { clientNamedFigures, clientTableLines, type ClientComparison } from '../sections/alt-client.js';
import type { ClientRate } from '../sections/ceilings.js';
import type { FleetResult } from '../sections/fleet.js';
import type { InferencePoint, ModelCost, SerdeCosts } from '../sections/inference.js';
import { modelCostNamedFigures, modelCostTableLines } from '../sections/model-cost-report.js';
import type { ServiceRate } from '../sections/model-services.js';
import type { OnlineResult } from '../sections/online.js';
import { onlineNamedFigures, onlineTableLines } from '../sections/online-report.js';
import { PEER_SIDES, type PeerResult } from '../sections/peer.js';
import type { PipeSettings } from '../sections/tuning.js';
import { gitCommit } from '../../scripts/docs/provenance.js';
import type { ConsumerPerf, ProducerPerf } from './kafka-perf.js';
import type { machineInfo } from './machine.js';
import type { StageRun } from './merge.js';
import { fixed, tableRow } from './table.js';

/** Everything one run measured; absent parts were not run (or failed, see `errors`). */
export interface BenchResults {
  timestamp: string;
  /** The commit measured ({@link gitCommit}), set when the results are written. */
  commit?: string;
  quick: boolean;
  durationSec: number;
  runId: string;
  /** /proc/loadavg when the run ended: other work on the machine shows here. */
  loadavgAtEnd?: string;
  info: ReturnType<typeof machineInfo>;
  rides: number;
  rideValueBytes?: number;
  ceilings?: {
    kafkaPerfTools?: { recordSize: number; producer: ProducerPerf; consumer: ConsumerPerf };
    kafkajsConsumer?: ClientRate;
    kafkajsPipe?: ClientRate;
  };
  /** Runs before the seam had a second client: @platformatic/kafka measured outside it. */
  altClient?: { name: string; version: string; consumer?: ClientRate; pipe?: ClientRate; skipped?: string };
  /** The two Kafka clients behind the seam side by side (the `alt` stage). */
  clients?: ClientComparison;
  modelServices?: Array<ServiceRate & { ratioToPipe: number }>;
  inference?: { points: InferencePoint[]; serde: SerdeCosts; models?: ModelCost[] };
  fleet?: FleetResult;
  tuning?: {
    kafkajsPipe?: Record<string, ClientRate & { settings: PipeSettings }>;
    fleetOnePartition?: FleetResult;
    /** The fleet with default vs batched fetches and commits, by settings name (`env` says which). */
    fleetBatching?: Record<string, FleetResult>;
    serviceOnnxThreads2?: ServiceRate & { ratioToPipe: number };
  };
  /** Ours against the Python peer, both warm, fed by the same librdkafka producer. */
  peer?: PeerResult;
  /** The online service over HTTP against a do-nothing route and the Flask peer (the `online` stage). */
  online?: OnlineResult;
  /** Stages merged from another run than the file's own (`--merge`), with that run's provenance. */
  stageRuns?: Record<string, StageRun>;
  errors: Record<string, string>;
}

/** The do-nothing pipe a model service is compared with: measured around it, else ceiling (c). */
export function servicePipePerSec(r: BenchResults, s: ServiceRate): number | undefined {
  return s.pipePerSec ?? r.ceilings?.kafkajsPipe?.ratePerSec;
}

/**
 * A model service's rate against the bound for it, 1 / (pipe µs per record + model
 * µs per ride): the do-nothing pipe's rate ({@link servicePipePerSec}) and the served
 * model's µs per ride (batch 256, 1 thread), both from the same results. NaN when either
 * was not measured.
 */
export function ratioToBound(r: BenchResults, s: ServiceRate): number {
  // The model's cost is measured on 1 thread: a service run with more has no bound here.
  if ((s.env.ONNX_INTRA_OP_THREADS ?? '1') !== '1') return Number.NaN;
  const pipePerSec = servicePipePerSec(r, s);
  const modelUs = r.inference?.models?.find((m) => m.model === s.model)?.usPerRide;
  if (pipePerSec === undefined || modelUs === undefined) return Number.NaN;
  return (s.ratePerSec * (1e6 / pipePerSec + modelUs)) / 1e6;
}

const r0 = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? '-' : Math.round(x).toLocaleString('en-US');
const r1 = (x: number | undefined): string => fixed(x, 1);
const r2 = (x: number | undefined): string => fixed(x, 2);
const r3 = (x: number | undefined): string => fixed(x, 3);

/** The flat named figures (also in the JSON as `figures`). */
export function namedFigures(r: BenchResults): Record<string, number | null> {
  const f: Record<string, number | null> = {};
  const put = (name: string, v: number | undefined): void => {
    f[name] = v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1000) / 1000;
  };
  put('ceiling_kafka_producer_perf_rps', r.ceilings?.kafkaPerfTools?.producer.recordsPerSec);
  put('ceiling_kafka_consumer_perf_rps', r.ceilings?.kafkaPerfTools?.consumer.recordsPerSec);
  put('ceiling_kafkajs_consumer_rps', r.ceilings?.kafkajsConsumer?.ratePerSec);
  put('ceiling_kafkajs_pipe_rps', r.ceilings?.kafkajsPipe?.ratePerSec);
  put('alt_client_consumer_rps', r.altClient?.consumer?.ratePerSec);
  put('alt_client_pipe_rps', r.altClient?.pipe?.ratePerSec);
  for (const [name, v] of Object.entries(clientNamedFigures(r.clients))) put(name, v);
  for (const [name, v] of Object.entries(onlineNamedFigures(r.online))) put(name, v);
  for (const s of r.modelServices ?? []) {
    put(`service_${s.model}_rps`, s.ratePerSec);
    put(`service_${s.model}_ratio_to_pipe`, s.ratioToPipe);
    put(`service_${s.model}_ratio_to_bound`, ratioToBound(r, s));
    put(`service_${s.model}_cpu_sec_per_1000`, s.cpuSecPer1000);
    put(`service_${s.model}_peak_rss_mb`, s.peakRssMb);
  }
  for (const p of r.inference?.points ?? []) {
    if (p.threads !== 1) continue;
    put(`inference_${p.model}_b${p.batch}_rows_per_sec`, p.rowsPerSec);
    put(`inference_${p.model}_b${p.batch}_us_per_call`, p.usPerCall);
  }
  const serde = r.inference?.serde;
  put('avro_ride_decode_us', serde?.rideDecodeUs);
  put('avro_ride_encode_us', serde?.rideEncodeUs);
  put('avro_prediction_encode_us', serde?.predictionEncodeUs);
  put('features_us_per_row', serde?.featuresUsPerRow);
  for (const [name, v] of Object.entries(modelCostNamedFigures(r.inference?.models))) put(name, v);
  for (const s of r.fleet?.steps ?? []) {
    put(`fleet_p50_ms_at_${s.offeredPerSec}`, s.latencyMs.p50);
    put(`fleet_p95_ms_at_${s.offeredPerSec}`, s.latencyMs.p95);
    put(`fleet_p99_ms_at_${s.offeredPerSec}`, s.latencyMs.p99);
  }
  put('fleet_highest_sustained_rps', r.fleet?.highestSustainedPerSec);
  for (const s of r.tuning?.fleetOnePartition?.steps ?? []) {
    put(`tuning_fleet_1partition_p50_ms_at_${s.offeredPerSec}`, s.latencyMs.p50);
    put(`tuning_fleet_1partition_p99_ms_at_${s.offeredPerSec}`, s.latencyMs.p99);
  }
  put('tuning_duration_onnx2_rps', r.tuning?.serviceOnnxThreads2?.ratePerSec);
  put('tuning_duration_onnx2_ratio_to_pipe', r.tuning?.serviceOnnxThreads2?.ratioToPipe);
  put('tuning_fleet_1partition_highest_sustained_rps', r.tuning?.fleetOnePartition?.highestSustainedPerSec);
  for (const [name, c] of Object.entries(r.tuning?.kafkajsPipe ?? {}))
    put(`tuning_kafkajs_pipe_${name}_rps`, c.ratePerSec);
  const at = r.fleet?.steps.find((s) => s.offeredPerSec === 1000) ?? r.fleet?.steps[0];
  for (const [name, v] of Object.entries(at?.cpuSecPer1000 ?? {})) put(`fleet_cpu_sec_per_1000_${name}`, v);
  for (const [name, v] of Object.entries(r.fleet?.peakRssMb ?? {})) put(`fleet_peak_rss_mb_${name}`, v);
  for (const side of r.peer ? PEER_SIDES : []) {
    for (const s of r.peer![side].steps) {
      put(`peer_${side}_p50_ms_at_${s.offeredPerSec}`, s.latencyMs.p50);
      put(`peer_${side}_p99_ms_at_${s.offeredPerSec}`, s.latencyMs.p99);
      put(`peer_${side}_fleet_cpu_sec_per_1000_at_${s.offeredPerSec}`, s.fleetCpuSecPer1000);
    }
  }
  return f;
}

/** The table printed at the end of a run. */
export function formatTable(r: BenchResults): string {
  const lines: string[] = [];
  const row = (label: string, ...cells: string[]): void => {
    lines.push(tableRow(label, ...cells));
  };
  const head = (title: string): void => {
    lines.push('', title);
  };
  lines.push(
    `fleet bench ${r.quick ? '(quick) ' : ''}${r.timestamp} · ${r.info.machine.cpus} cores ${r.info.machine.cpuModel} · node ${r.info.versions.node} · kafka ${r.info.versions.kafka} · kafkajs ${r.info.versions.kafkajs} · onnxruntime-node ${r.info.versions.onnxruntimeNode}`,
  );
  lines.push(`load average at start ${r.info.machine.loadavgAtStart} · at end ${r.loadavgAtEnd ?? '-'}`);
  lines.push(`rides pre-filled ${r0(r.rides)}, ride record ${r1(r.rideValueBytes)} bytes (Avro, wire format)`);
  head('1. ceilings                                   records/s      seconds   batch/mean  cpu s/1k rec');
  const k = r.ceilings?.kafkaPerfTools;
  if (k) {
    row(`Kafka ProducerPerformance (${k.recordSize} B, acks=all)`, r0(k.producer.recordsPerSec), '', '', '');
    row(`Kafka ConsumerPerformance (${k.recordSize} B)`, r0(k.consumer.recordsPerSec), '', '', '');
  }
  const rate = (label: string, c: ClientRate | undefined): void => {
    if (c) row(label, r0(c.ratePerSec), r2(c.seconds), r0(c.meanBatch), r3(c.cpuSecPer1000));
  };
  rate('kafkajs do-nothing consumer (seam)', r.ceilings?.kafkajsConsumer);
  rate('kafkajs do-nothing pipe (seam)', r.ceilings?.kafkajsPipe);
  if (r.altClient) {
    if (r.altClient.skipped) row(`${r.altClient.name}: ${r.altClient.skipped}`);
    rate(`${r.altClient.name} ${r.altClient.version} do-nothing consumer`, r.altClient.consumer);
    rate(`${r.altClient.name} ${r.altClient.version} do-nothing pipe`, r.altClient.pipe);
  }
  if (r.clients) lines.push(...clientTableLines(r.clients));
  if (r.modelServices?.length) {
    head(
      tableRow('2. model service alone, saturated', 'rides/s', 'ratio/pipe', 'ratio/bound', 'cpu s/1k', 'peak RSS MB'),
    );
    for (const s of r.modelServices)
      row(s.model, r0(s.ratePerSec), r2(s.ratioToPipe), r2(ratioToBound(r, s)), r3(s.cpuSecPer1000), r0(s.peakRssMb));
  }
  if (r.inference) {
    head('3. inference (onnxruntime-node, 1 thread)  batch → rows/s, µs/call');
    const models = [...new Set(r.inference.points.map((p) => p.model))];
    const batches = [...new Set(r.inference.points.map((p) => p.batch))];
    row('model', ...batches.map((b) => `b=${b}`));
    for (const m of models) {
      const pts = batches.map((b) =>
        r.inference!.points.find((p) => p.model === m && p.batch === b && p.threads === 1),
      );
      row(`${m} rows/s`, ...pts.map((p) => r0(p?.rowsPerSec)));
      row(`${m} µs/call`, ...pts.map((p) => r1(p?.usPerCall)));
    }
    const s = r.inference.serde;
    row('Avro ride decode / +validate µs/record', r2(s.rideDecodeUs), r2(s.rideDecodeValidateUs));
    row('Avro ride encode / prediction encode µs', r2(s.rideEncodeUs), r2(s.predictionEncodeUs));
    row('features µs/row (batch 1000)', r2(s.featuresUsPerRow));
    lines.push(...modelCostTableLines(r.inference.models ?? []));
  }
  const fleetRows = (fleet: FleetResult): void => {
    for (const s of fleet.steps) {
      row(
        `offered ${s.offeredPerSec} rides/s`,
        r0(s.sentPerSec),
        r0(s.decidedPerSecDuringSend),
        r1(s.latencyMs.p50),
        r1(s.latencyMs.p95),
        r1(s.latencyMs.p99),
        r1(s.decidedLatencyMs.p99),
        s.sustained ? 'yes' : `no (${s.decided}/${s.sent}, ${s.degraded} degraded)`,
      );
    }
    const bound =
      fleet.lowestUnsustainedPerSec === null
        ? ' (lower bound: every rate tried held)'
        : ` (${r0(fleet.lowestUnsustainedPerSec)} did not)`;
    row(`highest sustained rides/s${bound}`, r0(fleet.highestSustainedPerSec));
  };
  const fleetHead = '  sent/s   decided/s      p50 ms      p95 ms      p99 ms  p99 to decided  sustained';
  if (r.fleet) {
    head(`4. whole fleet, ${r.fleet.partitions} partitions          ${fleetHead}`);
    fleetRows(r.fleet);
    head('5. cost per process        cpu s per 1,000 rides (at 1,000 rides/s)   peak RSS MB');
    const at = r.fleet.steps.find((s) => s.offeredPerSec === 1000) ?? r.fleet.steps[0];
    for (const [name, v] of Object.entries(at?.cpuSecPer1000 ?? {})) row(name, r3(v), r0(r.fleet.peakRssMb[name]));
  }
  if (r.tuning) {
    head('6. tuning                                   records/s      seconds   batch/mean  cpu s/1k rec');
    for (const [name, c] of Object.entries(r.tuning.kafkajsPipe ?? {})) {
      const st = c.settings;
      rate(
        `kafkajs pipe pcc=${st.partitionsConsumedConcurrently}${st.idempotent ? '' : ' not idempotent'} (${name})`,
        c,
      );
    }
    const t2 = r.tuning.serviceOnnxThreads2;
    if (t2)
      row(
        'duration service alone, ONNX 2 threads: rides/s, ratio',
        r0(t2.ratePerSec),
        r2(t2.ratioToPipe),
        r3(t2.cpuSecPer1000),
      );
    if (r.tuning.fleetOnePartition) {
      head(`whole fleet, 1 partition per topic          ${fleetHead}`);
      fleetRows(r.tuning.fleetOnePartition);
    }
    for (const [name, fleet] of Object.entries(r.tuning.fleetBatching ?? {})) {
      head(`whole fleet, ${name} fetches and commits    ${fleetHead}`);
      fleetRows(fleet);
    }
  }
  if (r.peer) {
    head(
      '7. ours vs the Python peer (warm, librdkafka rides)  sent/s  decided      p50 ms      p99 ms  fleet cpu s/1k',
    );
    for (const side of PEER_SIDES) {
      for (const s of r.peer[side].steps) {
        row(
          `${side} at ${s.offeredPerSec} rides/s`,
          r0(s.sentPerSec),
          `${s.decided}/${s.sent}`,
          r1(s.latencyMs.p50),
          r1(s.latencyMs.p99),
          r3(s.fleetCpuSecPer1000),
        );
      }
    }
  }
  if (r.online) lines.push(...onlineTableLines(r.online));
  for (const [stage, message] of Object.entries(r.errors)) lines.push(`\n!! ${stage} failed: ${message}`);
  return lines.join('\n');
}

/**
 * Whether a run's results are written to the results file: when a stage produced a figure,
 * or when they are merged into it (`--merge`: its other stages are kept, this run's errors
 * recorded). Else the file, often the last complete run, is left as it was rather than
 * replaced by a run without a figure (its setup failed, or every stage did).
 */
export function shouldWriteResults(r: BenchResults, merge: boolean): boolean {
  return merge || Object.values(namedFigures(r)).some((v) => v !== null);
}

/**
 * Writes the results with their named figures as JSON: to a temporary file beside `path`,
 * then renamed over it, so a run that stops while writing leaves the old file whole.
 */
export async function writeResults(path: string, r: BenchResults): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const json = JSON.stringify(
    { ...r, commit: r.commit ?? gitCommit(), figures: namedFigures(r) },
    (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    2,
  );
  // The pid keeps two runs writing at once apart; .gitignore lists bench/results/*.tmp.
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${json}\n`);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}
