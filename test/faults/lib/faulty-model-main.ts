/**
 * A model service process with fault hooks, for the fault suite only. It is the production
 * `runModelService` wiring (same config, model, `createModelService`, `serve`) with two
 * seams wrapped from the outside, so no production code path changes:
 *
 * - `FAULT_SCORE_DELAY_MS` (+ `FAULT_SLOW_CALLS`, default unlimited): each model call first
 *   waits that long, like a model stuck on a slow node;
 * - `FAULT_KILL_AFTER_PRODUCE=<n>`: right after the n-th acknowledged send of predictions,
 *   the process SIGKILLs itself: produced, never committed.
 *
 * `FAULT_MODEL` names the model (duration, cost, tip).
 */
import {
  createKafkaClient,
  createLogger,
  createMetrics,
  createModelService,
  createRegistry,
  kafkaConnection,
  loadConfig,
  loadModel,
  modelServiceEnv,
  registryConnection,
  serve,
  type KafkaClient,
  type Scorer,
} from '@fleet/core';

const model = process.env.FAULT_MODEL ?? 'duration';
const delayMs = Number(process.env.FAULT_SCORE_DELAY_MS ?? 0);
let slowCalls = Number(process.env.FAULT_SLOW_CALLS ?? Number.POSITIVE_INFINITY);
const killAfter = Number(process.env.FAULT_KILL_AFTER_PRODUCE ?? 0);

const config = loadConfig(modelServiceEnv(model));
const logger = createLogger({ service: model, level: config.logLevel });
const metrics = createMetrics(model);
const runner = await loadModel(config.modelDir, { intraOpNumThreads: config.onnxThreads });

const scorer: Scorer = {
  name: runner.name,
  version: runner.version,
  unit: runner.card.target.unit,
  score: async (rides) => {
    if (delayMs > 0 && slowCalls > 0) {
      slowCalls--;
      logger.warn({ delayMs, rides: rides.length }, 'fault: slow model call');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    return runner.predictUnchecked(rides);
  },
};

const real = createKafkaClient(kafkaConnection(config, `${model}-faulty`), logger);
let sends = 0;
const kafka: KafkaClient = {
  ...real,
  producer: async () => {
    const producer = await real.producer();
    return {
      ...producer,
      async send(batches) {
        await producer.send(batches);
        const predictions = batches.some((b) => b.topic === config.topicPredictions && b.records.length > 0);
        if (killAfter > 0 && predictions && ++sends >= killAfter) {
          logger.warn({ sends }, 'fault: SIGKILL after the produce, before the commit');
          logger.flush();
          process.kill(process.pid, 'SIGKILL');
          await new Promise(() => undefined);
        }
      },
    };
  },
};

const service = await createModelService(
  config,
  {
    groupId: config.groupId,
    sessionTimeoutMs: config.sessionTimeoutMs,
    maxBytesPerPartition: config.maxBytesPerPartition,
  },
  {
    kafka,
    registry: createRegistry(registryConnection(config)),
    logger,
    scorer,
    onBatch: (r) => metrics.observeBatch(r),
  },
);
await serve(service, { logger, metrics, metricsPort: config.metricsPort, shutdownGraceMs: config.shutdownGraceMs });
