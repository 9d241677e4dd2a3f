/**
 * Ours against the Python peer, from the bench's `peer` stage (`peer` in
 * bench/results/latest.json): the README's rows with the targets met or not and by how much,
 * and a section of bench/README.md.
 */
import type { BenchResults } from '../../bench/lib/report.js';
import { isMeasured, outcome } from '../../bench/lib/verdict.js';
import {
  PEER_FLEET_PROCESSES,
  PEER_SIDES,
  peerFleetCpu,
  type PeerResult,
  type PeerSideName,
  type PeerStep,
} from '../../bench/sections/peer.js';
import { byRate, met, num, signed } from './bench.js';
import { table } from './sections.js';

/** The rates at which ours is to be ahead of the peer. */
const PEER_RATES = [200, 1000];

const SIDE_LABEL: Record<PeerSideName, string> = { ours: 'ours', python: 'Python peer' };

/** Met when ours is lower than the peer's in every pair (each measured); each gap is ours − peer. */
function aheadOfPeer(pairs: Array<[string, number, number]>, unit: string, digits: number): string {
  const oursLower = pairs.every(([, ours, peer]) => ours < peer);
  const figures = pairs.flatMap(([, ours, peer]) => [ours, peer]);
  const ok = outcome(figures, oursLower);
  const gaps = pairs.map(([label, o, p]) => `${label} ${signed(o - p, digits)}`);
  return `ours lower: ${met(ok)} (ours − peer: ${gaps.join(', ')} ${unit})`;
}

/** Whether a step decided every ride it was sent: else its percentiles leave out the slowest. */
function decidedAll(s: PeerStep): boolean {
  return isMeasured(s.decided) && isMeasured(s.sent) && s.decided >= s.sent;
}

/** The latency verdict at a rate: not comparable when a side did not decide every ride. */
function latencyVerdict(ours: PeerStep, peer: PeerStep): string {
  if (!decidedAll(ours) || !decidedAll(peer)) {
    return "ours lower: not comparable (a side's percentiles leave out the rides it did not decide)";
  }
  const pairs: Array<[string, number, number]> = [
    ['p50', ours.latencyMs.p50, peer.latencyMs.p50],
    ['p99', ours.latencyMs.p99, peer.latencyMs.p99],
  ];
  return aheadOfPeer(pairs, 'ms', 0);
}

/**
 * A step's CPU s per 1,000 rides of {@link PEER_FLEET_PROCESSES}, from its figures per
 * process: results recorded before {@link peerFleetCpu} counted a process not metered as 0.
 */
const fleetCpuOf = (s: PeerStep): number => peerFleetCpu(s.cpuSecPer1000);

/** " (ours: 950 of 1,000 rides decided)" for a side whose step lost decisions. */
function undecided(ours: PeerStep, peer: PeerStep): string {
  const short = (
    [
      ['ours', ours],
      ['peer', peer],
    ] as const
  ).filter(([, s]) => !decidedAll(s));
  return short.map(([side, s]) => ` (${side}: ${num(s.decided)} of ${num(s.sent)} rides decided)`).join('');
}

/** README rows [what, measured, target]: latency at each rate, then CPU per ride. */
export function peerRows(r: BenchResults): string[][] {
  const peer = r.peer;
  if (!peer) return [];
  const at = (side: PeerSideName, rate: number) => peer[side].steps.find((s) => s.offeredPerSec === rate);
  const both = PEER_RATES.map((rate) => [rate, at('ours', rate), at('python', rate)] as const).filter(
    (x): x is readonly [number, PeerStep, PeerStep] => x[1] !== undefined && x[2] !== undefined,
  );
  const rows = both.map(([rate, o, p]) => {
    const ms = (s: PeerStep): string => `${num(s.latencyMs.p50)} / ${num(s.latencyMs.p99)} ms`;
    return [
      `ahead of the Python peer: ride→decided p50 / p99 at ${num(rate)} rides/s, warm`,
      `ours ${ms(o)}, peer ${ms(p)}${undecided(o, p)}`,
      latencyVerdict(o, p),
    ];
  });
  if (both.length === 0) return rows;
  const rates = both.map(([rate]) => num(rate)).join(' · ');
  const cpu = (i: 1 | 2): string => both.map((x) => num(fleetCpuOf(x[i]), 2)).join(' · ');
  const gaps = both.map(([rate, o, p]): [string, number, number] => [`at ${num(rate)}`, fleetCpuOf(o), fleetCpuOf(p)]);
  rows.push([
    `ahead of the Python peer: CPU per 1,000 rides (model services + decision + broker) at ${rates} rides/s`,
    `ours ${cpu(1)} CPU s, peer ${cpu(2)} CPU s`,
    aheadOfPeer(gaps, 'CPU s', 2),
  ]);
  return rows;
}

/** CPU s per 1,000 rides of each process at each rate, and peak RSS, both sides. */
function costTable(peer: PeerResult): string[] {
  const rates = byRate(peer.ours.steps).map((s) => s.offeredPerSec);
  const step = (side: PeerSideName, rate: number) => peer[side].steps.find((s) => s.offeredPerSec === rate);
  const row = (name: string, label = name): string[] => [
    label,
    ...PEER_SIDES.flatMap((side) => rates.map((rate) => num(step(side, rate)?.cpuSecPer1000[name], 3))),
    ...PEER_SIDES.map((side) => num(peer[side].peakRssMb[name])),
  ];
  const total = PEER_SIDES.flatMap((side) =>
    rates.map((rate) => {
      const s = step(side, rate);
      return `**${num(s && fleetCpuOf(s), 3)}**`;
    }),
  );
  const rows = [
    ...PEER_FLEET_PROCESSES.map((name) => row(name)),
    ['**model services + decision + broker**', ...total, '', ''],
    row('producer', 'ride producer (not counted)'),
  ];
  const header = [
    'process',
    ...PEER_SIDES.flatMap((side) => rates.map((rate) => `${SIDE_LABEL[side]} at ${num(rate)}`)),
    ...PEER_SIDES.map((side) => `${SIDE_LABEL[side]} peak RSS MB`),
  ];
  return table(header, rows, `l${'r'.repeat(header.length - 1)}`);
}

/** bench/README.md's section: latency and cost of both sides, and the verdicts. */
export function peerDetail(r: BenchResults): string[] {
  const peer = r.peer;
  if (!peer) return [];
  const v = peer.versions;
  const rows = PEER_SIDES.flatMap((side) =>
    byRate(peer[side].steps).map((s) => [
      SIDE_LABEL[side],
      num(s.offeredPerSec),
      num(s.sentPerSec),
      `${num(s.decided)} / ${num(s.sent)}`,
      num(s.latencyMs.p50),
      num(s.latencyMs.p95),
      num(s.latencyMs.p99),
      num(s.latencyMs.max),
      num(s.decisionRecordsPerBatch, 1),
    ]),
  );
  const header = [
    'side',
    'offered rides/s',
    'sent/s',
    'decided',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'predictions per decision batch',
  ];
  const verdicts = peerRows(r).map(
    ([what, measured, verdict]) => `- ${what.replace(/^a/, 'A')}: ${measured}; ${verdict}.`,
  );
  return [
    '### 7. Ours against the Python peer',
    '',
    `Both sides warm (${num(peer.warmup.seconds)} s at ${num(peer.warmup.perSec)} rides/s first), ${peer.partitions} partitions, ${num(peer.stepSec)} s per rate; rides from one librdkafka producer. The peer: Python ${v.python}, confluent-kafka ${v.confluentKafka} (librdkafka ${v.librdkafka}), onnxruntime ${v.onnxruntime}, fastavro ${v.fastavro}, numpy ${v.numpy}.`,
    '',
    ...table(header, rows, 'lrrrrrrrr'),
    '',
    'CPU s per 1,000 rides at each rate, and peak RSS:',
    '',
    ...costTable(peer),
    '',
    ...verdicts,
    '',
  ];
}
