import { createOutcomePublisher, scheduleOutcomes, type MonitorSummary, type OutcomeSchedule } from '@fleet/backend';
import type { KafkaClient, Logger, Registry } from '@fleet/core';
import { awaitMonitor } from './launcher/index.js';
import type { Progress } from './progress.js';

/** The demo's outcomes: each ride's ride_completed, published when the ride ends. */
export interface DemoOutcomes {
  readonly schedule: OutcomeSchedule;
  /** Waits for the last rides to end and their outcomes to be published; resolves to how many were. */
  finish(progress: Progress): Promise<number>;
  /** Stops publishing, the rides still to end left unpublished (a run cut short). Idempotent. */
  abandon(): Promise<void>;
}

/** Starts publishing outcomes on `topic`, rides ending `timeFactor` times faster than they did. */
export async function startOutcomes(
  kafka: KafkaClient,
  registry: Registry,
  topic: string,
  logger: Logger,
  timeFactor: number,
): Promise<DemoOutcomes> {
  const publisher = await createOutcomePublisher(kafka, registry, topic, logger);
  const schedule = scheduleOutcomes(publisher, {
    timeFactor,
    onError: (err) => logger.error({ err }, 'outcomes could not be published'),
  });
  return {
    schedule,
    async finish(progress) {
      const tick = setInterval(
        () => progress.update(`rides ending: ${schedule.published} outcomes published, ${schedule.waiting} to go`),
        100,
      );
      try {
        await schedule.drain();
      } finally {
        clearInterval(tick);
        schedule.stop();
        await publisher.close();
      }
      progress.done(`outcomes published: ${schedule.published} (rides ${timeFactor}× faster than real time)`);
      return schedule.published;
    },
    async abandon() {
      schedule.stop();
      await publisher.close().catch(() => undefined);
    },
  };
}

/**
 * The monitor's figures once it joined the run's `published` outcomes (or what it has after
 * `timeoutMs`); undefined without a monitor to ask.
 */
export async function monitorOfRun(
  port: number | undefined,
  published: number,
  timeoutMs: number,
  progress: Progress,
): Promise<{ summary: MonitorSummary | undefined; complete: boolean }> {
  if (port === undefined) return { summary: undefined, complete: false };
  const result = await awaitMonitor(port, published, timeoutMs, (joined) =>
    progress.update(`monitor: ${joined}/${published} outcomes joined`),
  );
  progress.done(`monitor: ${result.complete ? 'every outcome joined' : 'not every outcome joined in time'}`);
  return result;
}
