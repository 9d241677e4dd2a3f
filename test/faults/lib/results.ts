/**
 * The figures of each fault, appended to `test/faults/results.json` (the summary global
 * setup empties it at the start of a run, prints it as a table at the end and, after a run
 * of the whole suite, commits it to docs/faults.json and docs/faults.md).
 */
import { quantile as coreQuantile } from '@fleet/core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { AuditReport } from './audit.js';
import type { RideStream, RideTracker } from './stream.js';

export const RESULTS_FILE = fileURLToPath(new URL('../results.json', import.meta.url));

/** One row of the results. */
export interface FaultResult {
  fault: string;
  ok: boolean;
  rides: number;
  duplicatesPublished: number;
  decided: number;
  lost: number;
  duplicateDecisions: number;
  conflicting: number;
  degraded: number;
  orderViolations: number;
  /** How long the fault itself lasted (pause, restart), ms. */
  outageMs: number;
  /** From injection until end-to-end latency is back to normal for good, ms. */
  recoveryMs: number;
  /** Worst ride → decision latency of the rides sent after the injection, ms. */
  maxLatencyMs: number;
  /** p99 latency before the injection, ms. */
  baselineP99Ms: number;
  notes?: string;
  /** Why the fault was not run (an explicit opt-out); its figures are then meaningless. */
  skipped?: string;
  /** The test file that recorded the row, relative to the repository (set by {@link recordResult}). */
  file?: string;
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Reads the results written so far. */
export function readResults(): FaultResult[] {
  if (!existsSync(RESULTS_FILE)) return [];
  try {
    return JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as FaultResult[];
  } catch {
    return [];
  }
}

/**
 * Appends one result (the fault files run one after another), named after the test file
 * recording it: the summary tells a run of the whole suite by the files that recorded rows.
 */
export function recordResult(result: FaultResult): void {
  const testPath = expect.getState().testPath;
  const file = result.file ?? (testPath ? relative(REPO_ROOT, testPath) : undefined);
  writeFileSync(RESULTS_FILE, `${JSON.stringify([...readResults(), { ...result, file }], null, 2)}\n`);
}

/** The row of a fault not run because of an explicit opt-out, saying why. */
export function skippedResult(fault: string, reason: string): FaultResult {
  return {
    fault,
    ok: true,
    rides: 0,
    duplicatesPublished: 0,
    decided: 0,
    lost: 0,
    duplicateDecisions: 0,
    conflicting: 0,
    degraded: 0,
    orderViolations: 0,
    outageMs: 0,
    recoveryMs: 0,
    maxLatencyMs: 0,
    baselineP99Ms: 0,
    skipped: reason,
  };
}

/** The q-quantile of `values` by the fleet's one nearest-rank rule (0 when empty). */
export function quantile(values: number[], q: number): number {
  return values.length === 0 ? 0 : coreQuantile(values, q);
}

/**
 * Latency figures of a stream around an injection at `injectedAt`, against the fleet's
 * undisturbed p99 ride → decision latency `baselineP99Ms`: the worst latency of the rides in
 * flight at the injection (sent up to 1 s before) or sent after it, and the recovery time:
 * from the injection to the decision of the last of those rides whose latency was above
 * normal (max(2 s, 3 × baseline p99)). 0 when no ride was visibly disturbed.
 */
export function latencyFigures(
  stream: RideStream,
  tracker: RideTracker,
  injectedAt: number,
  baselineP99Ms: number,
): { baselineP99Ms: number; maxLatencyMs: number; recoveryMs: number } {
  const normal = Math.max(2000, 3 * baselineP99Ms);
  let recoveryMs = 0;
  let maxLatencyMs = 0;
  for (const [id, sentAt] of stream.sentAt) {
    const seen = tracker.seen.get(id);
    if (!seen || sentAt < injectedAt - 1000) continue;
    const latency = seen.receivedAt - sentAt;
    maxLatencyMs = Math.max(maxLatencyMs, latency);
    if (latency > normal) recoveryMs = Math.max(recoveryMs, seen.receivedAt - injectedAt);
  }
  return { baselineP99Ms, maxLatencyMs, recoveryMs };
}

/** A result row from an audit. */
export function resultOf(
  fault: string,
  report: AuditReport,
  stream: RideStream,
  figures: { baselineP99Ms: number; maxLatencyMs: number; recoveryMs: number },
  extra: { outageMs?: number; notes?: string; allowDuplicates?: boolean } = {},
): FaultResult {
  const ok =
    report.lost.length === 0 &&
    report.unexpected.length === 0 &&
    report.conflicting.length === 0 &&
    report.orderViolations.length === 0 &&
    (extra.allowDuplicates === true || report.duplicated.length === 0);
  return {
    fault,
    ok,
    rides: report.sent,
    duplicatesPublished: stream.duplicatesSent,
    decided: report.decided,
    lost: report.lost.length,
    duplicateDecisions: report.duplicated.length,
    conflicting: report.conflicting.length,
    degraded: report.degraded,
    orderViolations: report.orderViolations.length,
    outageMs: extra.outageMs ?? 0,
    ...figures,
    notes: extra.notes,
  };
}

/** The results as a fixed-width table (the figures of a skipped row are left empty). */
export function formatTable(results: FaultResult[]): string {
  const cols: Array<[string, (r: FaultResult) => string]> = [
    ['fault', (r) => r.fault],
    ['ok', (r) => (r.skipped ? 'skipped' : r.ok ? 'yes' : 'NO')],
    ['rides', (r) => String(r.rides)],
    ['dup pub', (r) => String(r.duplicatesPublished)],
    ['lost', (r) => String(r.lost)],
    ['dup dec', (r) => String(r.duplicateDecisions)],
    ['conflict', (r) => String(r.conflicting)],
    ['degraded', (r) => String(r.degraded)],
    ['order', (r) => String(r.orderViolations)],
    ['outage s', (r) => (r.outageMs / 1000).toFixed(1)],
    ['recovery s', (r) => (r.recoveryMs / 1000).toFixed(1)],
    ['max lat s', (r) => (r.maxLatencyMs / 1000).toFixed(1)],
    ['p99 before s', (r) => (r.baselineP99Ms / 1000).toFixed(2)],
  ];
  const widths = cols.map(([h, f]) => Math.max(h.length, ...results.map((r) => f(r).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [
    line(cols.map(([h]) => h)),
    line(widths.map((w) => '-'.repeat(w))),
    ...results.map((r) => line(cols.map(([, f], i) => (r.skipped && i > 1 ? '' : f(r))))),
  ].join('\n');
}
