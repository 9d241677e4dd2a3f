import { commonEnv, int, serviceEnv, str, type ConfigOf } from '@fleet/core';
import { defaultModelDir } from '@fleet/contract';

/**
 * Environment of a model service, defaults derived from the model name. Every service
 * names its consumer group with `GROUP_ID` (the decision service too).
 */
export function modelServiceEnv(model: string) {
  return {
    ...commonEnv,
    ...serviceEnv,
    groupId: str('GROUP_ID', 'Consumer group of the service', `fleet.${model}`),
    modelDir: str('MODEL_DIR', 'Directory holding model.onnx and its card model.json', defaultModelDir(model)),
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
