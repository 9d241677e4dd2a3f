/**
 * The online service over HTTP, from the bench's `online` stage (`online` in
 * bench/results/latest.json): the README's rows with the targets met or not, and a section
 * of bench/README.md.
 */
import type { BenchResults } from '../../bench/lib/report.js';
import { ONLINE_TARGETS, type OnlineResult } from '../../bench/sections/online.js';
import { ONLINE_LABELS, onlineVerdicts, verdictOutcome, type Verdict } from '../../bench/sections/online-report.js';
import { met, num, si } from './bench.js';
import { table } from './sections.js';

/** A target of the online mode as the README says it: met, **not met**, or not measured. */
const verdict = (v: Verdict): string => met(verdictOutcome(v));

function rps(o: OnlineResult, target: (typeof ONLINE_TARGETS)[number]): string {
  return si(o.targets[target]?.saturated.requestsPerSec);
}

function latency(o: OnlineResult, target: (typeof ONLINE_TARGETS)[number]): string {
  const ms = o.targets[target]?.atRate.latencyMs;
  return ms ? `${num(ms.p50, 2)} / ${num(ms.p99, 2)} ms` : '–';
}

/** README rows [what, measured, target]: the three targets of the online mode. */
export function onlineRows(r: BenchResults): string[][] {
  const o = r.online;
  if (!o) return [];
  const v = onlineVerdicts(o);
  const rows: string[][] = [];
  const saturated = ONLINE_TARGETS.map((t) => rps(o, t)).join(' / ');
  rows.push([
    'online, saturated requests/s: (a) do-nothing Fastify route / (b) `/v1/quote`, 1 ride per request / (c) micro-batching off / (d) Flask + gunicorn (2 workers)',
    `${saturated} requests/s${o.peerSkipped ? ` ((d) not measured: ${o.peerSkipped})` : ''}`,
    '',
  ]);
  if (ONLINE_TARGETS.some((t) => o.targets[t]?.saturatedCpu)) {
    const cpu = ONLINE_TARGETS.map((t) => num(o.targets[t]?.saturatedCpu?.usPerRequest, 1)).join(' / ');
    rows.push([
      "online, saturated: CPU µs per request (a) / (b) / (c) / (d) · share of the run (b)'s event loop was busy",
      `${cpu} µs · ${num(o.targets.quote?.saturatedCpu?.servingThread, 2)}`,
      '',
    ]);
  }
  if (v.quoteToNoop)
    rows.push([
      'online: (b) ÷ (a)',
      `**${num(v.quoteToNoop.value, 2)}**`,
      `≥ ${v.quoteToNoop.goal}: ${verdict(v.quoteToNoop)}`,
    ]);
  if (v.quoteToPeer)
    rows.push([
      'online: (b) ÷ (d)',
      // Two decimals, as (b) ÷ (a): one would print 4.98 as 5.0 beside "≥ 5: not met".
      `**${num(v.quoteToPeer.value, 2)}**`,
      `≥ ${v.quoteToPeer.goal}: ${verdict(v.quoteToPeer)}`,
    ]);
  const rate = num(o.ratePerSec);
  rows.push([
    `online, p50 / p99 at ${rate} requests/s: (b) · (c) · (a) · (d)`,
    `${latency(o, 'quote')} · ${latency(o, 'quoteUnbatched')} · ${latency(o, 'noop')} · ${latency(o, 'peer')}`,
    v.p99 ? `p99 of (b) ≤ ${v.p99.goal} ms: ${verdict(v.p99)}` : '',
  ]);
  return rows;
}

/** How the saturated figures were taken: interleaved rounds, or (older runs) one server at a time. */
function saturatedHow(o: OnlineResult): string {
  const load = `autocannon ${o.autocannon}, ${num(o.connections)} connections`;
  if (o.rounds === undefined)
    return `One server at a time, each its own process on 127.0.0.1, warmed ${num(o.warmupSec)} s. Saturated: ${load}, ${num(o.saturatedSec)} s.`;
  return `Each server its own process on 127.0.0.1; all started, each warmed ${num(o.warmupSec)} s, then saturated one at a time (${load}) in ${num(o.rounds)} interleaved rounds of ${num(o.saturatedSec)} s per server, each round starting one server later: a server's figures are its median round, a ratio the median of the rounds' ratios.`;
}

/** bench/README.md's section: every server's figures, then the verdicts. */
export function onlineDetail(r: BenchResults): string[] {
  const o = r.online;
  if (!o) return [];
  const rows = ONLINE_TARGETS.flatMap((target) => {
    const t = o.targets[target];
    if (!t) return [[ONLINE_LABELS[target], 'not measured', '', '', '', '', '', '', '', '', '', '', '']];
    const failed = (x: typeof t.saturated) => num(x.non2xx + x.errors);
    return [
      [
        ONLINE_LABELS[target],
        num(t.saturated.requestsPerSec),
        (t.rounds ?? []).map((v) => num(v)).join(' · ') || '–',
        num(t.saturated.latencyMs.p50, 2),
        num(t.saturated.latencyMs.p99, 2),
        num(t.atRate.latencyMs.p50, 2),
        num(t.atRate.latencyMs.p99, 2),
        num(t.atRate.latencyMs.max, 2),
        `${failed(t.saturated)} / ${failed(t.atRate)}`,
        num(t.meanBatchRows, 1),
        num(t.saturatedCpu?.usPerRequest, 1),
        num(t.saturatedCpu?.cores, 2),
        num(t.saturatedCpu?.servingThread, 2),
      ],
    ];
  });
  const rate = num(o.ratePerSec);
  const header = [
    'server',
    'saturated requests/s',
    'rounds (requests/s)',
    'p50 ms (saturated)',
    'p99 ms (saturated)',
    `p50 ms at ${rate}/s`,
    `p99 ms at ${rate}/s`,
    `max ms at ${rate}/s`,
    'not 2xx or no answer (saturated / fixed rate)',
    'rides per model call (saturated)',
    'CPU µs per request (saturated)',
    'cores busy (saturated)',
    'event loop busy (saturated)',
  ];
  const verdicts = onlineRows(r)
    .filter(([, , target]) => target !== '')
    .map(([what, measured, target]) => `- ${what}: ${measured}; ${target}.`);
  return [
    '### 8. The online service over HTTP',
    '',
    `${saturatedHow(o)} At ${rate} requests/s: open loop (each request sent when due), ${num(o.rateSec)} s. One real ride per request, the same rides for every server; latency from a request's write to its whole answer. CPU: the server's processes (for (d) the gunicorn master and its workers) over the saturated run, from /proc; event loop: the share of that run the main thread of a Node server was busy (1 is all of it: the server can answer no faster on one thread).${o.peerSkipped ? ` (d) not measured: ${o.peerSkipped}.` : ''}`,
    '',
    ...table(header, rows, 'lrrrrrrrrrrrr'),
    '',
    ...verdicts,
    '',
  ];
}
