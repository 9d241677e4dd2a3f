import { bool, commonEnv, int, serviceEnv, str, type ConfigOf } from '@fleet/core';

/**
 * Environment of a model service, defaults derived from the model name. Every service
 * names its consumer group with `GROUP_ID` (the decision service too).
 */
export function modelServiceEnv(model: string) {
  return {
    ...commonEnv,
    ...serviceEnv,
    groupId: str('GROUP_ID', 'Consumer group of the service', `fleet.${model}`),
    modelVersion: str(
      'MODEL_VERSION',
      `Version of the model to serve, a folder of models/${model}/ (empty: the current one of models/manifest.json)`,
      '',
    ),
    modelsDir: str(
      'MODELS_DIR',
      "Directory of the model versions and manifest.json (empty: the repository's models/)",
      '',
    ),
    modelDir: str(
      'MODEL_DIR',
      'A version folder holding model.onnx and its card model.json, features.json two levels up (overrides MODEL_VERSION)',
      '',
    ),
    shadow: bool(
      'SHADOW',
      'Publish predictions marked as shadow: the decision service ignores them, the monitor compares them (fleet shadow)',
      false,
    ),
    onnxThreads: int('ONNX_INTRA_OP_THREADS', 'onnxruntime intra-op threads per model call', 1, 1, 64),
    maxBytesPerPartition: int(
      'KAFKA_MAX_BYTES_PER_PARTITION',
      'Upper bound of one fetch per partition (bounds rides per model call)',
      1_048_576,
      1024,
    ),
  } as const;
}

/** The parsed {@link modelServiceEnv}. */
export type ModelServiceConfig = ConfigOf<ReturnType<typeof modelServiceEnv>>;
