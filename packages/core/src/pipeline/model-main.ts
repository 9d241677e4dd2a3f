import { int, loadConfig, str } from '../config.js';
import { commonEnv, kafkaConnection, registryConnection, serviceEnv } from '../env.js';
import { createKafkaClient } from '../kafka/kafkajs-client.js';
import { createLogger } from '../logger.js';
import { defaultModelDir, loadModel } from '../model/index.js';
import { createMetrics } from '../ops/metrics.js';
import { serve } from '../ops/serve.js';
import { createRegistry } from '../serde/registry.js';
import { createModelService, type Scorer } from './model-service.js';

/** What a model service package declares: which model it serves. */
export interface ModelServiceSpec {
  /** Model name: the directory under `models/` and the `model` field of its predictions. */
  model: string;
}

/** Environment of a model service (defaults derived from the model name). */
export function modelServiceEnv(model: string) {
  return {
    ...commonEnv,
    ...serviceEnv,
    groupId: str('GROUP_ID', 'Consumer group of the service', `fleet.${model}`),
    modelDir: str('MODEL_DIR', 'Directory holding model.onnx and its card model.json', defaultModelDir(model)),
    onnxThreads: int('ONNX_INTRA_OP_THREADS', 'onnxruntime intra-op threads per model call', 1, 1, 64),
    partitionsConcurrently: int(
      'KAFKA_PARTITIONS_CONCURRENTLY',
      'Partitions whose batches are handled at once (overlaps model calls with produce round trips)',
      3,
      1,
      64,
    ),
    maxBytesPerPartition: int(
      'KAFKA_MAX_BYTES_PER_PARTITION',
      'Upper bound of one fetch per partition (bounds rides per model call)',
      1_048_576,
      1024,
    ),
  } as const;
}

/**
 * The `main` of a model service: reads the environment, loads and verifies the model
 * (refusing a file whose sha256 differs from its card), and serves until SIGTERM.
 */
export async function runModelService(spec: ModelServiceSpec): Promise<void> {
  const config = loadConfig(modelServiceEnv(spec.model));
  const logger = createLogger({ service: spec.model, level: config.logLevel });
  const metrics = createMetrics(spec.model);
  const model = await loadModel(config.modelDir, { intraOpNumThreads: config.onnxThreads });
  logger.info({ model: model.name, version: model.version, sha256: model.card.sha256 }, 'model loaded and verified');
  const scorer: Scorer = {
    name: model.name,
    version: model.version,
    unit: model.card.target.unit,
    score: (rides) => model.predictUnchecked(rides),
  };
  const service = await createModelService(
    config,
    {
      groupId: config.groupId,
      sessionTimeoutMs: config.sessionTimeoutMs,
      maxBytesPerPartition: config.maxBytesPerPartition,
      partitionsConcurrently: config.partitionsConcurrently,
    },
    {
      kafka: createKafkaClient(kafkaConnection(config, spec.model), logger),
      registry: createRegistry(registryConnection(config)),
      logger,
      scorer,
      metrics,
    },
  );
  await serve(service, { logger, metrics, metricsPort: config.metricsPort, shutdownGraceMs: config.shutdownGraceMs });
}
