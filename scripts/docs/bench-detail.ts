/** bench/README.md's tables: every figure of bench/results/latest.json, stage by stage. */
import { ratioToBound, servicePipePerSec, type BenchResults } from '../../bench/lib/report.js';
import type { ClientRate } from '../../bench/sections/ceilings.js';
import type { FleetResult } from '../../bench/sections/fleet.js';
import { byRate, failedStages, mergedRunLines, num, readBenchResults, runLine } from './bench.js';
import { batchingDetail } from './bench-batching.js';
import { hopsDetail } from './bench-hops.js';
import { clientsDetail } from './bench-clients.js';
import { modelCostDetail } from './bench-model-cost.js';
import { onlineDetail } from './bench-online.js';
import { peerDetail } from './bench-peer.js';
import { markdown, table } from './sections.js';

const FILE = 'bench/README.md';

const PACKAGE_NAMES: Record<string, string> = { onnxruntimeNode: 'onnxruntime-node' };

function versions(r: BenchResults): string {
  return Object.entries(r.info.versions)
    .map(([name, v]) => `${PACKAGE_NAMES[name] ?? name} ${v}`)
    .join(', ');
}

function ceilings(r: BenchResults): string[] {
  const rows: string[][] = [];
  const k = r.ceilings?.kafkaPerfTools;
  if (k) {
    rows.push([`Kafka ProducerPerformance (${k.recordSize} B, acks=all)`, num(k.producer.recordsPerSec), '', '', '']);
    rows.push([`Kafka ConsumerPerformance (${k.recordSize} B)`, num(k.consumer.recordsPerSec), '', '', '']);
  }
  const rate = (label: string, c: ClientRate | undefined): void => {
    if (c) rows.push([label, num(c.ratePerSec), num(c.seconds, 2), num(c.meanBatch), num(c.cpuSecPer1000, 3)]);
  };
  rate('kafkajs do-nothing consumer (seam)', r.ceilings?.kafkajsConsumer);
  rate('kafkajs do-nothing pipe (seam): **the ceiling (c)**', r.ceilings?.kafkajsPipe);
  const alt = r.altClient;
  if (alt?.skipped) rows.push([`${alt.name}: not measured, ${alt.skipped}`, '', '', '', '']);
  else if (alt) {
    rate(`${alt.name} ${alt.version} do-nothing consumer`, alt.consumer);
    rate(`${alt.name} ${alt.version} do-nothing pipe`, alt.pipe);
  }
  if (rows.length === 0) return [];
  const header = ['what', 'records/s', 'seconds', 'records per batch', 'CPU s / 1,000 records'];
  return ['### 1. Ceilings', '', ...table(header, rows, 'lrrrr'), ''];
}

function services(r: BenchResults): string[] {
  const all = [...(r.modelServices ?? [])].map((s) => ({ ...s, label: s.model as string }));
  const t2 = r.tuning?.serviceOnnxThreads2;
  if (t2) all.push({ ...t2, label: `${t2.model}, \`ONNX_INTRA_OP_THREADS=2\`` });
  if (all.length === 0) return [];
  const rows = all.map((s) => [
    s.label,
    num(s.ratePerSec),
    num(servicePipePerSec(r, s)),
    num(s.ratioToPipe, 2),
    num(ratioToBound(r, s), 2),
    num(s.cpuSecPer1000, 3),
    num(s.brokerCpuSecPer1000, 3),
    num(s.peakRssMb),
  ]);
  const header = [
    'service',
    'rides/s',
    'pipe (c) around it, records/s',
    'ratio to (c)',
    'ratio to the bound',
    'CPU s / 1,000 rides',
    'broker CPU s / 1,000',
    'peak RSS MB',
  ];
  return ['### 2. Each model service alone, saturated', '', ...table(header, rows, 'lrrrrrrr'), ''];
}

function inference(r: BenchResults): string[] {
  if (!r.inference) return [];
  const { points, serde } = r.inference;
  const batches = [...new Set(points.map((p) => p.batch))].sort((a, b) => a - b);
  const runs = [...new Set(points.map((p) => `${p.model}|${p.threads}`))];
  const rows = runs.map((key) => {
    const [model, threads] = key.split('|');
    const at = (b: number) => points.find((p) => `${p.model}|${p.threads}` === key && p.batch === b);
    const us = (x: number | undefined) => num(x, x !== undefined && x < 100 ? 1 : 0);
    return [model, threads, ...batches.map((b) => `${num(at(b)?.rowsPerSec)} (${us(at(b)?.usPerCall)})`)];
  });
  const header = ['model', 'threads', ...batches.map((b) => `batch ${num(b)}: rows/s (µs/call)`)];
  const serdeRow = [
    num(serde.rideDecodeUs, 2),
    num(serde.rideDecodeValidateUs, 2),
    num(serde.rideEncodeUs, 2),
    num(serde.predictionEncodeUs, 2),
    num(serde.featuresUsPerRow, 2),
  ];
  const serdeHeader = ['ride decode', 'decode + validate', 'ride encode', 'prediction encode', 'features (per row)'];
  return [
    '### 3. Inference (onnxruntime-node) and serde',
    '',
    ...table(header, rows, `ll${'r'.repeat(batches.length)}`),
    '',
    ...modelCostDetail(r),
    'The fleet serde (warm schema cache), µs per record:',
    '',
    ...table(serdeHeader, [serdeRow], 'rrrrr'),
    '',
  ];
}

function fleetTable(fleet: FleetResult): string[] {
  const rows = byRate(fleet.steps).map((s) => [
    num(s.offeredPerSec),
    num(s.sentPerSec),
    num(s.decidedPerSecDuringSend),
    num(s.latencyMs.p50),
    num(s.latencyMs.p95),
    num(s.latencyMs.p99),
    num(s.latencyMs.max),
    num(s.decidedLatencyMs.p99),
    s.sustained ? 'yes' : 'no',
  ]);
  const header = [
    'offered rides/s',
    'sent/s',
    'decided/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'p99 to decided ms',
  ];
  const held =
    fleet.lowestUnsustainedPerSec === null
      ? 'every rate tried held: a lower bound'
      : `${num(fleet.lowestUnsustainedPerSec)} rides/s did not hold`;
  return [
    ...table([...header, 'sustained'], rows, 'rrrrrrrrl'),
    '',
    `Highest sustained: **${num(fleet.highestSustainedPerSec)} rides/s** (${held}).`,
  ];
}

function fleet(r: BenchResults): string[] {
  if (!r.fleet) return [];
  const at = r.fleet.steps.find((s) => s.offeredPerSec === 1000) ?? byRate(r.fleet.steps)[0];
  const cost = Object.entries(at?.cpuSecPer1000 ?? {}).map(([name, cpu]) => [
    name === 'bench' ? 'bench (replay + listener)' : name,
    num(cpu, 3),
    num(r.fleet!.peakRssMb[name]),
  ]);
  const services = Object.keys(at?.cpuSecPer1000 ?? {}).filter((name) => name !== 'bench' && name !== 'broker').length;
  return [
    `### 4. Whole fleet (${services} services, ${r.fleet.partitions} partitions per topic)`,
    '',
    ...fleetTable(r.fleet),
    '',
    `### 5. Cost per process (at ${num(at?.offeredPerSec)} rides/s, ${r.fleet.partitions} partitions)`,
    '',
    ...table(['process', 'CPU s / 1,000 rides', 'peak RSS MB'], cost, 'lrr'),
    '',
  ];
}

function tuning(r: BenchResults): string[] {
  const pipes = Object.entries(r.tuning?.kafkajsPipe ?? {}).map(([name, c]) => [
    `\`partitionsConsumedConcurrently\` ${c.settings.partitionsConsumedConcurrently}${c.settings.idempotent ? '' : ', producer not idempotent'} (${name})`,
    num(c.ratePerSec),
    num(c.cpuSecPer1000, 3),
  ]);
  const one = r.tuning?.fleetOnePartition;
  const batching = batchingDetail(r);
  if (pipes.length === 0 && !one && batching.length === 0) return [];
  const lines = ['### 6. Tuning experiments', ''];
  if (pipes.length > 0) {
    lines.push('kafkajs pipe with settings the seam does not expose (compare with the ceiling (c)):', '');
    lines.push(...table(['setting', 'records/s', 'CPU s / 1,000 records'], pipes, 'lrr'), '');
  }
  if (one) lines.push('Whole fleet on **1 partition per topic**:', '', ...fleetTable(one), '');
  lines.push(...batching, ...hopsDetail(r));
  return lines;
}

/** bench/README.md's measured section, from the last run. */
export async function benchDetail(r = readBenchResults()): Promise<string> {
  if (!r) return markdown(['_Not recorded yet: `npm run bench` writes `bench/results/latest.json`._'], FILE);
  return markdown(
    [
      `Run of ${runLine(r)}; ${num(r.rides)} rides pre-filled, ${num(r.rideValueBytes)}-byte Avro records. Versions: ${versions(r)}.`,
      ...mergedRunLines(r),
      '',
      ...ceilings(r),
      ...clientsDetail(r),
      ...services(r),
      ...inference(r),
      ...fleet(r),
      ...tuning(r),
      ...peerDetail(r),
      ...onlineDetail(r),
      ...failedStages(r),
    ],
    FILE,
  );
}
