import {
  defaultModelDir,
  FleetError,
  isFleetError,
  MODEL_NAMES,
  type FeatureSpec,
  type ModelName,
} from '@fleet/contract';
import { loadJointModel, type JointRunner, type ModelOutputs } from '@fleet/core';
import { loadRideModel, type RideModel } from '@fleet/scoring';

/** Each model's outputs of the same rows. */
export type QuoteOutputs = Record<ModelName, ModelOutputs>;

/** The three ride models the online service serves, and the one feature spec they share. */
export interface OnlineModels {
  readonly byName: Readonly<Record<ModelName, RideModel>>;
  /** The feature spec of all three (`features.json`): features are built once per ride. */
  readonly spec: FeatureSpec;
  /** Columns of a feature row. */
  readonly width: number;
  /**
   * The three models' outputs of `rows` feature rows: one onnxruntime call running the
   * three (their graphs merged, `loadJointModel`), or, when the versions served cannot be
   * merged, one call per model.
   */
  scoreAll(features: Float32Array, rows: number): Promise<QuoteOutputs>;
  /** Why `scoreAll` calls each model apart (the merge's refusal), or null: one call for the three. */
  readonly apart: string | null;
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
    const joint = await loadJoint(loaded, options);
    return {
      byName,
      spec: first.spec,
      width: first.spec.names.length,
      apart: 'refused' in joint ? joint.refused : null,
      scoreAll: 'refused' in joint ? scoreApart(byName) : scoreJoint(joint),
      close: async () => {
        await Promise.all([...loaded.map((m) => m.close()), 'refused' in joint ? undefined : joint.close()]);
      },
    };
  } catch (err) {
    await Promise.all(loaded.map((m) => m.close()));
    throw err;
  }
}

/** The three models as one session, or why they cannot be (each then runs apart). */
async function loadJoint(
  models: readonly RideModel[],
  options: LoadOnlineModelsOptions,
): Promise<JointRunner | { refused: string }> {
  try {
    return await loadJointModel(
      models.map((m) => m.dir),
      { intraOpNumThreads: options.intraOpNumThreads ?? 1 },
    );
  } catch (err) {
    if (isFleetError(err) && err.code === 'FLEET_MODEL_LOAD_FAILED') return { refused: err.message };
    throw err;
  }
}

function scoreJoint(joint: JointRunner): OnlineModels['scoreAll'] {
  return async (features, rows) => {
    const [duration, cost, tip] = await joint.predictOutputs(features, rows);
    return { duration, cost, tip };
  };
}

function scoreApart(byName: Readonly<Record<ModelName, RideModel>>): OnlineModels['scoreAll'] {
  return async (features, rows) => {
    const [duration, cost, tip] = await Promise.all(MODEL_NAMES.map((m) => byName[m].predictOutputs(features, rows)));
    return { duration, cost, tip };
  };
}
