/**
 * The common end of every fault test (drain, audit, record, assert), and the bounds of its
 * waits. Every wait of a fault test is derived from the timing the test gives its fleet
 * ({@link FleetTimings}) or from a bound the layer below applies, and every test's timeout
 * is the sum of its waits ({@link testTimeoutMs}): a wait that runs out fails with its own
 * message, inside its test.
 */
import { expect } from 'vitest';
import { testKafka, testRegistry } from '../../helpers.js';
import { READ_BACK_MS, REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../../timing.js';
import { audit, readFleetOutput, type AuditReport } from './audit.js';
import type { ProcFleet } from './fleet.js';
import { latencyFigures, quantile, recordResult, resultOf, type FaultResult } from './results.js';
import type { RideStream, RideTracker } from './stream.js';

export { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS };

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
  /** The fleet's timing, which bounds how long its recovery may take ({@link recoveryMs}). */
  timings: FleetTimings;
}

/**
 * Stops the stream, waits for every ride's decision, checks that every instance is ready and
 * every group caught up (recovery without manual action), audits the topics, records the
 * figures. The three waits share one deadline, {@link recoveryMs} after the stream stopped;
 * the whole takes at most {@link finishMs}. Waiting failures do not throw here: the audit
 * names what is missing.
 */
export async function finishFault(
  options: FinishOptions,
): Promise<{ report: AuditReport; result: FaultResult; problems: string[] }> {
  const { fleet, tracker, stream } = options;
  await stream.stop();
  const problems: string[] = [];
  const deadline = Date.now() + recoveryMs(options.timings);
  const left = () => Math.max(0, deadline - Date.now());
  await tracker
    .waitDecided(stream.sent.keys(), `decisions of the ${stream.sent.size} rides`, left())
    .catch((err: Error) => problems.push(err.message));
  await fleet.waitAllReady(left()).catch((err: Error) => problems.push(err.message));
  await fleet.waitNoLag(left()).catch((err: Error) => problems.push(err.message));
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

/** How long the baseline streams undisturbed rides ({@link measureBaseline}). */
export const BASELINE_STREAM_MS = 4000;

/**
 * Streams rides for {@link BASELINE_STREAM_MS} without a fault and returns their p99
 * ride → decision latency; takes at most {@link baselineMs}.
 */
export async function measureBaseline(tracker: RideTracker, idPrefix: string, timings: FleetTimings): Promise<number> {
  const stream = await tracker.stream(idPrefix);
  await sleep(BASELINE_STREAM_MS);
  await stream.stop();
  await tracker.waitDecided(stream.sent.keys(), 'the decisions of the baseline rides', decidedWithinMs(timings));
  const latencies = [...stream.sentAt].map(([id, at]) => tracker.seen.get(id)!.receivedAt - at);
  return quantile(latencies, 0.99);
}

/** The group and join timing a fault test gives its fleet; its waits are derived from it. */
export interface FleetTimings {
  /** `KAFKA_SESSION_TIMEOUT_MS` of every service: a member that vanished is dropped after it. */
  readonly sessionTimeoutMs: number;
  /** `DECISION_JOIN_TIMEOUT_MS`: a ride is decided, degraded if need be, this long after its first prediction. */
  readonly joinTimeoutMs: number;
}

/** The environment that gives a fleet these timings. */
export function timingEnv(timings: FleetTimings): Record<string, string> {
  return {
    KAFKA_SESSION_TIMEOUT_MS: String(timings.sessionTimeoutMs),
    DECISION_JOIN_TIMEOUT_MS: String(timings.joinTimeoutMs),
  };
}

/** How long `fleet.start` waits for an instance's /readyz (lib/fleet.ts). */
export { SERVICE_START_MS } from '../../timing.js';
/** How long `fleet.signal` waits for an instance's exit after a SIGKILL or SIGTERM (lib/fleet.ts). */
export const SERVICE_EXIT_MS = 30_000;
/** How long `fleet.stop` takes at most with its default grace: the grace, then the exit (lib/fleet.ts). */
export const SERVICE_STOP_MS = 15_000 + 5000;

/**
 * How long a healthy fleet may take to decide a ride: a decision is due at most a join
 * timeout after the ride's first prediction, and the scoring before it is work.
 */
export function decidedWithinMs(timings: FleetTimings): number {
  return timings.joinTimeoutMs + WORK_ALLOWANCE_MS;
}

/**
 * How long the fleet may take to be whole again once a fault is over: a member that
 * vanished is dropped after a session timeout, the rebalance that follows lasts at most a
 * rebalance timeout, the backlog is scored, and a ride left half joined is decided at most a
 * join timeout later: by then every ride is decided, every instance ready, every group caught up.
 */
export function recoveryMs(timings: FleetTimings): number {
  return timings.sessionTimeoutMs + REBALANCE_TIMEOUT_MS + decidedWithinMs(timings);
}

/** The longest {@link finishFault} takes: the recovery, then the audit reading both topics back at once. */
export function finishMs(timings: FleetTimings): number {
  return recoveryMs(timings) + READ_BACK_MS;
}

/** The longest {@link measureBaseline} takes. */
export function baselineMs(timings: FleetTimings): number {
  return BASELINE_STREAM_MS + decidedWithinMs(timings);
}
