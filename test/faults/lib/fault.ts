/** The common end of every fault test: drain, audit, record, assert. */
import { expect } from 'vitest';
import { testKafka, testRegistry } from '../../helpers.js';
import { audit, readFleetOutput, type AuditReport } from './audit.js';
import type { ProcFleet } from './fleet.js';
import { latencyFigures, quantile, recordResult, resultOf, type FaultResult } from './results.js';
import type { RideStream, RideTracker } from './stream.js';

/** Options of {@link finishFault}. */
export interface FinishOptions {
  fault: string;
  fleet: ProcFleet;
  tracker: RideTracker;
  stream: RideStream;
  idPrefix: string;
  injectedAt: number;
  /** The fleet's undisturbed p99 latency ({@link measureBaseline}). */
  baselineP99Ms: number;
  outageMs?: number;
  notes?: string;
  /** How long to wait for the last decisions. @default 90 s */
  decideTimeoutMs?: number;
}

/**
 * Stops the stream, waits for every ride's decision, checks that every instance is ready and
 * every group caught up (recovery without manual action), audits the topics, records the
 * figures. Waiting failures do not throw here: the audit names what is missing.
 */
export async function finishFault(
  options: FinishOptions,
): Promise<{ report: AuditReport; result: FaultResult; problems: string[] }> {
  const { fleet, tracker, stream } = options;
  await stream.stop();
  const problems: string[] = [];
  await tracker
    .waitDecided(stream.sent.keys(), `decisions of the ${stream.sent.size} rides`, options.decideTimeoutMs ?? 90_000)
    .catch((err: Error) => problems.push(err.message));
  await fleet.waitAllReady(30_000).catch((err: Error) => problems.push(err.message));
  await fleet.waitNoLag(60_000).catch((err: Error) => problems.push(err.message));
  for (const i of fleet.instances.values())
    if (i.exitCode !== undefined) problems.push(`${i.name} exited (${i.exitCode ?? i.signal})`);
  const output = await readFleetOutput(testKafka('faults-audit'), fleet.admin, testRegistry(), fleet.topics);
  const report = audit(options.idPrefix, stream.sent, output);
  const result = resultOf(
    options.fault,
    report,
    stream,
    latencyFigures(stream, tracker, options.injectedAt, options.baselineP99Ms),
    {
      outageMs: options.outageMs,
      notes:
        [options.notes, stream.republished > 0 ? `publish retried ${stream.republished}x` : '', ...problems]
          .filter(Boolean)
          .join('; ') || undefined,
    },
  );
  if (problems.length > 0) result.ok = false;
  recordResult(result);
  console.log(`[faults] ${options.fault}: ${JSON.stringify(result)}`);
  return { report, result, problems };
}

/** The pass criteria of the issue: no ride lost, none decided twice or in conflict, all back. */
export function expectClean({ report, problems }: { report: AuditReport; problems: string[] }): void {
  const sample = (ids: string[]) => `${ids.length} ${ids.slice(0, 5).join(', ')}`;
  expect(problems, 'services back to processing, groups caught up').toEqual([]);
  expect(report.lost, `rides lost: ${sample(report.lost)}`).toEqual([]);
  expect(report.unexpected, 'decisions of rides never sent').toEqual([]);
  expect(report.conflicting, `rides with two different decisions: ${sample(report.conflicting)}`).toEqual([]);
  expect(report.duplicated, `rides decided twice: ${sample(report.duplicated)}`).toEqual([]);
  expect(
    report.orderViolations,
    `decisions not following their predictions: ${sample(report.orderViolations)}`,
  ).toEqual([]);
  expect(report.decided).toBe(report.sent);
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Streams rides for `ms` without a fault and returns their p99 ride → decision latency. */
export async function measureBaseline(tracker: RideTracker, idPrefix: string, ms = 4000): Promise<number> {
  const stream = await tracker.stream(idPrefix);
  await sleep(ms);
  await stream.stop();
  await tracker.waitDecided(stream.sent.keys(), 'the decisions of the baseline rides', 60_000);
  const latencies = [...stream.sentAt].map(([id, at]) => tracker.seen.get(id)!.receivedAt - at);
  return quantile(latencies, 0.99);
}
