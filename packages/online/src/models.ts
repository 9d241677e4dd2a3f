import { defaultModelDir, FleetError, MODEL_NAMES, type FeatureSpec, type ModelName } from '@fleet/contract';
import { loadRideModel, type RideModel } from '@fleet/scoring';

/** The three ride models the online service serves, and the one feature spec they share. */
export interface OnlineModels {
  readonly byName: Readonly<Record<ModelName, RideModel>>;
  /** The feature spec of all three (`features.json`): features are built once per ride. */
  readonly spec: FeatureSpec;
  /** Columns of a feature row. */
  readonly width: number;
  close(): Promise<void>;
}

/** Options of {@link loadOnlineModels}. */
export interface LoadOnlineModelsOptions {
  /** onnxruntime intra-op threads per model call. @default 1 */
  intraOpNumThreads?: number;
}

/**
 * Loads `duration`, `cost` and `tip` from `modelsDir` with their sha256 verified against
 * their cards (as the stream's model services do), and checks they read the same features.
 * @throws FleetError FLEET_MODEL_CHECKSUM_MISMATCH or FLEET_MODEL_LOAD_FAILED.
 */
export async function loadOnlineModels(
  modelsDir: string,
  options: LoadOnlineModelsOptions = {},
): Promise<OnlineModels> {
  const loaded: RideModel[] = [];
  try {
    for (const name of MODEL_NAMES) {
      loaded.push(
        await loadRideModel(defaultModelDir(name, modelsDir), { intraOpNumThreads: options.intraOpNumThreads ?? 1 }),
      );
    }
    const [first, ...others] = loaded;
    const differing = others.find((m) => m.spec.names.join('\n') !== first.spec.names.join('\n'));
    if (differing) {
      throw new FleetError(
        'FLEET_MODEL_LOAD_FAILED',
        `model "${differing.name}" reads other features than "${first.name}"`,
        {
          context: { model: differing.name },
        },
      );
    }
    const byName = Object.fromEntries(MODEL_NAMES.map((name, i) => [name, loaded[i]])) as Record<ModelName, RideModel>;
    return {
      byName,
      spec: first.spec,
      width: first.spec.names.length,
      close: async () => {
        await Promise.all(loaded.map((m) => m.close()));
      },
    };
  } catch (err) {
    await Promise.all(loaded.map((m) => m.close()));
    throw err;
  }
}
