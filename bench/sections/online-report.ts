/** The online stage's figures: its targets, its named figures and its lines of the printed table. */
import { quantile } from '@fleet/core';
import { ONLINE_TARGETS, type OnlineResult, type OnlineTarget } from './online.js';
import { fixed, tableRow } from '../lib/table.js';
import { isMeasured, outcome, type Outcome } from '../lib/verdict.js';

/** What each server is, for people. */
export const ONLINE_LABELS: Readonly<Record<OnlineTarget, string>> = {
  noop: '(a) do-nothing Fastify route',
  quote: '(b) /v1/quote, 1 ride per request',
  quoteUnbatched: '(c) the same, micro-batching off',
  peer: '(d) Flask + gunicorn, 2 workers',
};

/** The targets on a 2-core machine: (b) ≥ 0.5 × (a), (b) ≥ 5 × (d), p99 of (b) ≤ 5 ms at 1,000 requests/s. */
export const ONLINE_GOALS = { quoteToNoop: 0.5, quoteToPeer: 5, p99Ms: 5 } as const;

/**
 * One target: the value, the goal, whether it is met (never when the value is not a measured
 * figure: see {@link verdictOutcome}). Undefined when a server it compares was not run.
 */
export interface Verdict {
  value: number;
  goal: number;
  met: boolean;
}

/** A verdict as met, not met, or not measured (its value is NaN, or null read from the JSON). */
export function verdictOutcome(v: Verdict): Outcome {
  return outcome([v.value], v.met);
}

/** `a / b`, or NaN unless both were measured. */
const quotient = (a: number, b: number): number => (isMeasured(a) && isMeasured(b) ? a / b : Number.NaN);

/** The three targets evaluated on a run's figures. */
export function onlineVerdicts(r: OnlineResult): { quoteToNoop?: Verdict; quoteToPeer?: Verdict; p99?: Verdict } {
  // The median of the rounds' ratios (runs made side by side); a run without rounds, the ratio of its figures.
  const ratio = (a: OnlineTarget, b: OnlineTarget): number | undefined => {
    const [x, y] = [r.targets[a], r.targets[b]];
    if (!x || !y) return undefined;
    const [xs, ys] = [x.rounds ?? [x.saturated.requestsPerSec], y.rounds ?? [y.saturated.requestsPerSec]];
    if (xs.length !== ys.length) return quotient(x.saturated.requestsPerSec, y.saturated.requestsPerSec);
    // A round not measured is null in the JSON, and null / y is 0: no median then.
    const ratios = xs.map((v, i) => quotient(v, ys[i]));
    return ratios.every(isMeasured) ? quantile(ratios, 0.5) : Number.NaN;
  };
  const atLeast = (value: number | undefined, goal: number): Verdict | undefined =>
    value === undefined ? undefined : { value, goal, met: isMeasured(value) && value >= goal };
  const ms = r.targets.quote?.atRate.latencyMs;
  const goal = ONLINE_GOALS.p99Ms;
  return {
    quoteToNoop: atLeast(ratio('quote', 'noop'), ONLINE_GOALS.quoteToNoop),
    quoteToPeer: atLeast(ratio('quote', 'peer'), ONLINE_GOALS.quoteToPeer),
    p99: ms && { value: ms.p99, goal, met: isMeasured(ms.p99) && ms.p99 <= goal },
  };
}

/** The stage's flat named figures (for the JSON's `figures`). */
export function onlineNamedFigures(r: OnlineResult | undefined): Record<string, number | undefined> {
  const f: Record<string, number | undefined> = {};
  if (!r) return f;
  for (const target of ONLINE_TARGETS) {
    const t = r.targets[target];
    if (!t) continue;
    f[`online_${target}_saturated_rps`] = t.saturated.requestsPerSec;
    f[`online_${target}_p50_ms_at_${r.ratePerSec}`] = t.atRate.latencyMs.p50;
    f[`online_${target}_p99_ms_at_${r.ratePerSec}`] = t.atRate.latencyMs.p99;
    if (t.meanBatchRows !== undefined) f[`online_${target}_mean_batch_rows`] = t.meanBatchRows;
  }
  const v = onlineVerdicts(r);
  f.online_ratio_quote_to_noop = v.quoteToNoop?.value;
  f.online_ratio_quote_to_peer = v.quoteToPeer?.value;
  return f;
}

/** The stage as lines of the table the bench prints. */
export function onlineTableLines(r: OnlineResult): string[] {
  const lines = [
    '',
    `8. online (${r.connections} connections)       saturated req/s  p50 ms@${r.ratePerSec}  p99 ms@${r.ratePerSec}    rows/call   CPU µs/req  event loop`,
  ];
  for (const target of ONLINE_TARGETS) {
    const t = r.targets[target];
    if (t) {
      const { p50, p99 } = t.atRate.latencyMs;
      lines.push(
        tableRow(
          ONLINE_LABELS[target],
          fixed(t.saturated.requestsPerSec),
          fixed(p50, 2),
          fixed(p99, 2),
          fixed(t.meanBatchRows, 1),
          fixed(t.saturatedCpu?.usPerRequest, 1),
          fixed(t.saturatedCpu?.servingThread, 2),
        ),
      );
    }
  }
  if (r.peerSkipped) lines.push(tableRow(`${ONLINE_LABELS.peer}: not measured (${r.peerSkipped})`));
  const v = onlineVerdicts(r);
  const said: Record<Outcome, string> = { met: 'met', 'not met': 'NOT met', 'not measured': 'not measured' };
  const say = (name: string, x: Verdict | undefined, unit: string): string =>
    x ? `${name} ${fixed(x.value, 2)}${unit} (goal ${x.goal}${unit}: ${said[verdictOutcome(x)]})` : `${name} -`;
  lines.push(
    `targets: ${say('(b)/(a)', v.quoteToNoop, '')} · ${say('(b)/(d)', v.quoteToPeer, '')} · ${say('p99 of (b)', v.p99, ' ms')}`,
  );
  return lines;
}
