/**
 * A model service process with fault hooks, for the fault suite only: the production
 * composition (`createModelProcess`, same configuration, partitions at once, metrics) with
 * two parts wrapped from the outside, so it runs exactly the settings it claims to run:
 *
 * - `FAULT_SCORE_DELAY_MS` (+ `FAULT_SLOW_CALLS`, default unlimited): each model call first
 *   waits that long, like a model stuck on a slow node; with `FAULT_CALL_STATE_FILE`, each
 *   slow call writes there (synchronously) that it started and then that it ended, so a test
 *   that stops the process can tell whether it stopped it inside a call;
 * - `FAULT_KILL_AFTER_PRODUCE=<n>`: right after the n-th acknowledged send of predictions,
 *   the process writes `FAULT_MARKER_FILE` (synchronously, fsync'ed: durable before the
 *   kill, unlike a log line) and SIGKILLs itself: produced, never committed.
 *
 * `FAULT_MODEL` names the model (duration, cost, tip).
 */
import { closeSync, fsyncSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { createLogger, runMain, type KafkaClient } from '@fleet/core';
import { createModelProcess, type Scorer } from '@fleet/scoring';

const model = process.env.FAULT_MODEL ?? 'duration';
const delayMs = Number(process.env.FAULT_SCORE_DELAY_MS ?? 0);
let slowCalls = Number(process.env.FAULT_SLOW_CALLS ?? Number.POSITIVE_INFINITY);
const killAfter = Number(process.env.FAULT_KILL_AFTER_PRODUCE ?? 0);
const markerFile = process.env.FAULT_MARKER_FILE;
const callStateFile = process.env.FAULT_CALL_STATE_FILE;
let calls = 0;
const predictionsTopic = process.env.TOPIC_PREDICTIONS ?? 'predictions';
const logger = createLogger({ service: model, level: 'info' });

/** What a slow call writes to `FAULT_CALL_STATE_FILE` (read by the process faults' test). */
function writeCallState(call: number, inCall: boolean, startedAt: number): void {
  if (callStateFile) writeFileSync(callStateFile, JSON.stringify({ call, inCall, startedAt }));
}

/** Slows the first `FAULT_SLOW_CALLS` model calls down by `FAULT_SCORE_DELAY_MS`. */
function slowScorer(real: Scorer): Scorer {
  if (delayMs <= 0) return real;
  return {
    ...real,
    async score(rides) {
      if (slowCalls <= 0) return real.score(rides);
      slowCalls--;
      const call = ++calls;
      const startedAt = Date.now();
      writeCallState(call, true, startedAt);
      logger.warn({ delayMs, rides: rides.length }, 'fault: slow model call');
      try {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return await real.score(rides);
      } finally {
        writeCallState(call, false, startedAt);
      }
    },
  };
}

/** Writes the marker durably, then dies without a chance to commit. */
function die(sends: number): never {
  if (markerFile) {
    const fd = openSync(markerFile, 'w');
    writeSync(fd, JSON.stringify({ sends, at: Date.now() }));
    fsyncSync(fd);
    closeSync(fd);
  }
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL sent');
}

/** Kills the process right after the n-th acknowledged send of predictions. */
function killingClient(real: KafkaClient): KafkaClient {
  if (killAfter <= 0) return real;
  let sends = 0;
  return {
    ...real,
    producer: async () => {
      const producer = await real.producer();
      return {
        ...producer,
        async send(batches) {
          await producer.send(batches);
          const predictions = batches.some((b) => b.topic === predictionsTopic && b.records.length > 0);
          if (predictions && ++sends >= killAfter) die(sends);
        },
      };
    },
  };
}

runMain(`${model}-faulty`, async () =>
  (await createModelProcess({ model }, { logger, kafka: killingClient, scorer: slowScorer })).run(),
);
