import type { FleetError } from '@fleet/contract';
import type { Logger } from '../logger.js';
import type { ConsumerClient, ProducerClient } from '../kafka/types.js';
import type { StreamServiceOptions } from './stream-service.js';
import { createRecoveryBackoff, type RecoveryBackoff } from './recovery-backoff.js';

/** Where a stream service is in its life. */
export type StreamRunState = 'new' | 'running' | 'recovering' | 'stopping' | 'stopped' | 'failed';

/**
 * What the parts of one stream service share (its start, its membership callbacks, its
 * recovery, its stop): its options, its clients, and where it is.
 */
export interface StreamRun {
  readonly options: StreamServiceOptions;
  readonly log: Logger;
  consumer: ConsumerClient | undefined;
  producer: ProducerClient | undefined;
  state: StreamRunState;
  /** In the group as of the last join, with no crash since (or a batch handled since one). */
  joined: boolean;
  /** Rebalances so far. */
  assignments: number;
  /** Whether the last rebalance's onAssignment work is done. */
  settled: boolean;
  assignment: Record<string, number[]>;
  memberId: string | undefined;
  stopping: Promise<void> | undefined;
  /** Between attempts to re-create a consumer that crashed for good. */
  backoff: RecoveryBackoff;
  /** Crashes so far. */
  crashes: number;
  failure: FleetError | undefined;
  /** Rejects once the service stopped for good (`StreamService.failed`). */
  readonly failed: Promise<never>;
  readonly rejectFailed: (err: FleetError) => void;
}

/** The run of a new stream service: no client yet, not started. */
export function createStreamRun(options: StreamServiceOptions): StreamRun {
  let rejectFailed!: (err: FleetError) => void;
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  // Observed by whoever awaits it (serve); never an unhandled rejection in a test that does not.
  failed.catch(() => undefined);
  return {
    options,
    log: options.logger,
    consumer: undefined,
    producer: undefined,
    state: 'new',
    joined: false,
    assignments: 0,
    settled: true,
    assignment: {},
    memberId: undefined,
    stopping: undefined,
    backoff: createRecoveryBackoff(),
    crashes: 0,
    failure: undefined,
    failed,
    rejectFailed,
  };
}

/** Stops the service for good on a refusal of the broker, rejecting {@link StreamRun.failed}. */
export function fail(run: StreamRun, err: FleetError): void {
  if (run.state === 'failed' || run.state === 'stopping' || run.state === 'stopped') return;
  run.state = 'failed';
  run.joined = false;
  run.failure = err;
  run.log.error({ code: err.code, reason: err.message }, 'stopped for good: the broker refuses what the service needs');
  run.rejectFailed(err);
  // The clients are already refused or crashed; closing them says nothing new.
  void run.consumer?.disconnect().catch(() => undefined);
  void run.producer?.disconnect().catch(() => undefined);
}
