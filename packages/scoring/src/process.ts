import { modelVersionDir, type ModelName, type RideStarted } from '@fleet/contract';
import { consumerSettings, fleetProcess, processParts, type FleetProcess, type ProcessOverrides } from '@fleet/core';
import { modelServiceEnv, type ModelServiceConfig } from './env.js';
import { createModelService } from './model-service.js';
import { coalescingScorer, loadRideModel, type RideModel, type Scorer } from './ride-model.js';

/** What a model service package declares: which model it serves. */
export interface ModelServiceSpec {
  /** Model name: the directory under `models/` and the `model` field of its predictions. */
  model: string;
}

/** What a caller may replace in a model process, beyond the common {@link ProcessOverrides}. */
export interface ModelProcessOverrides extends ProcessOverrides {
  /** Wraps the loaded model's scorer (to slow it down, count calls, …). */
  scorer?: (real: Scorer) => Scorer;
}

/** A composed model process: the loaded model and its stream service. */
export interface ModelProcess extends FleetProcess<ModelServiceConfig> {
  readonly model: RideModel;
}

/**
 * The one composition of a model-service process, used by its `main`, the tests, the fault
 * suite, the bench and the demo: reads the environment, loads and verifies the model
 * (refusing a file whose sha256 differs from its card), and builds the service with the
 * production settings. Nothing is started: call `run()` (as `main`) or `service.start()`.
 */
export async function createModelProcess(
  spec: ModelServiceSpec,
  overrides: ModelProcessOverrides = {},
): Promise<ModelProcess> {
  const parts = processParts(spec.model, modelServiceEnv(spec.model), overrides);
  const { config, logger } = parts;
  const dir =
    config.modelDir ||
    modelVersionDir(spec.model as ModelName, config.modelVersion || undefined, config.modelsDir || undefined);
  const model = await loadRideModel(dir, { intraOpNumThreads: config.onnxThreads });
  logger.info(
    { model: model.name, version: model.version, sha256: model.card.sha256, shadow: config.shadow },
    'model loaded and verified',
  );
  await warmUp(model);
  try {
    const service = await createModelService(
      config,
      {
        groupId: config.groupId,
        ...consumerSettings(config),
        maxBytesPerPartition: config.maxBytesPerPartition,
        shadow: config.shadow,
      },
      {
        kafka: parts.kafka,
        registry: parts.registry,
        logger,
        scorer: coalescingScorer(overrides.scorer ? overrides.scorer(model.scorer) : model.scorer),
        metrics: parts.metrics,
        clock: parts.clock,
        tracing: parts.tracing,
      },
    );
    const composed = fleetProcess(parts, service);
    return {
      ...composed,
      model,
      stop: async () => {
        await composed.stop();
        await model.close();
      },
    };
  } catch (err) {
    await model.close();
    throw err;
  }
}

/**
 * onnxruntime allocates and plans on the first calls of each batch shape; a service is
 * ready only once a ride costs what it will cost later, so the first real rides do not pay
 * for it. Synthetic rides, one and several at a time.
 */
async function warmUp(model: RideModel): Promise<void> {
  const now = Date.now();
  const ride: RideStarted = {
    ride_id: 'warm-up',
    event_time: now,
    pickup_time: now,
    pickup_zone: null,
    dropoff_zone: null,
    pickup_borough: null,
    dropoff_borough: null,
    estimated_distance_miles: 2,
    passengers: 1,
    service_color: 'YELLOW',
    payment_method: 'CREDIT_CARD',
  };
  // Every batch size of everyday rates (a fetch carries a few rides), then larger ones.
  const sizes = [...Array.from({ length: 16 }, (_, i) => i + 1), 32, 64, 1];
  for (const size of sizes) await model.predictRides(Array.from({ length: size }, () => ride));
}
