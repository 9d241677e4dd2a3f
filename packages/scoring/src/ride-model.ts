import { dirname, join } from 'node:path';
import { buildFeatures, FleetError, parseFeatureSpec, type FeatureSpec, type RideStarted } from '@fleet/contract';
import { loadModel, readModelFile, verifyChecksum, type LoadModelOptions, type ModelRunner } from '@fleet/core';

/**
 * What a scorer returns for a batch, one entry per ride in order: the estimate, and the
 * bounds of its prediction interval for a model version that has one (else null).
 */
export interface Scores {
  readonly value: ArrayLike<number>;
  readonly lower: ArrayLike<number> | null;
  readonly upper: ArrayLike<number> | null;
}

/** A model as a stream service uses it: one call scores a whole batch of rides. */
export interface Scorer {
  readonly name: string;
  readonly version: string;
  /** Unit of the predicted values, e.g. `minutes` or `USD`. */
  readonly unit: string;
  /** The estimates of the rides, in order; non-finite values are the caller's to handle. */
  score(rides: readonly RideStarted[]): Promise<Scores>;
}

/** A verified ONNX model together with the ride feature spec it was trained with. */
export interface RideModel extends ModelRunner {
  /** The feature spec the inputs are built with (`models/features.json`). */
  readonly spec: FeatureSpec;
  /**
   * Predicts the target (in `card.target.unit`) for every ride, in one session call.
   * @throws FleetError FLEET_MODEL_NON_FINITE_OUTPUT (with the row index), among others.
   */
  predict(rides: readonly RideStarted[]): Promise<Float64Array>;
  /** Like {@link RideModel.predict}, non-finite outputs returned as they are. */
  predictUnchecked(rides: readonly RideStarted[]): Promise<Float64Array>;
  /** Estimates and interval bounds of every ride in one session call, non-finite values as they are. */
  predictRides(rides: readonly RideStarted[]): Promise<Scores>;
  /** The model as the stream's {@link Scorer}. */
  readonly scorer: Scorer;
}

/** Options of {@link loadRideModel}. */
export interface LoadRideModelOptions extends LoadModelOptions {
  /** The feature spec the model was trained with. @default `<dir>/../../features.json` (`models/features.json`) */
  featureSpecPath?: string;
}

/**
 * Loads a model directory and the feature spec beside it, verifying both files' sha256
 * against the card and that the spec's feature names are the model's inputs.
 * @throws FleetError FLEET_MODEL_CHECKSUM_MISMATCH or FLEET_MODEL_LOAD_FAILED.
 */
export async function loadRideModel(dir: string, opts: LoadRideModelOptions = {}): Promise<RideModel> {
  const runner = await loadModel(dir, opts);
  const { card } = runner;
  try {
    const specPath = opts.featureSpecPath ?? join(dirname(dirname(dir)), 'features.json');
    const specBytes = await readModelFile(specPath, card.name);
    verifyChecksum(specPath, specBytes, card.feature_spec.sha256, card.name);
    const spec = parseFeatureSpec(JSON.parse(specBytes.toString('utf8')), specPath);
    if (spec.names.length !== card.features.length || spec.names.some((n, i) => n !== card.features[i])) {
      throw new FleetError('FLEET_MODEL_LOAD_FAILED', `${dir}/model.json: features differ from ${specPath}`, {
        context: { model: card.name },
      });
    }
    const predictRides = (rides: readonly RideStarted[]) =>
      runner.predictOutputs(buildFeatures(spec, rides), rides.length);
    return {
      ...runner,
      spec,
      predict: (rides) => runner.predictFeatures(buildFeatures(spec, rides), rides.length),
      predictUnchecked: (rides) => runner.predictFeaturesUnchecked(buildFeatures(spec, rides), rides.length),
      predictRides,
      scorer: { name: card.name, version: card.version, unit: card.target.unit, score: predictRides },
    };
  } catch (err) {
    await runner.close();
    throw err;
  }
}

/**
 * A scorer that joins the calls made while handling one fetch (batches of several
 * partitions handled at once) into one model call: each call waits until the end of the
 * current turn of the event loop, then all rides go through the model together and each
 * caller gets its slice. One ONNX call per fetch instead of one per partition.
 */
export function coalescingScorer(scorer: Scorer): Scorer {
  let waiting: Array<{
    rides: readonly RideStarted[];
    resolve: (v: Scores) => void;
    reject: (e: unknown) => void;
  }> = [];
  async function run(): Promise<void> {
    const group = waiting;
    waiting = [];
    try {
      const scores = await scorer.score(group.flatMap((g) => g.rides));
      let at = 0;
      for (const g of group) {
        const to = at + g.rides.length;
        g.resolve({
          value: slice(scores.value, at, to),
          lower: scores.lower && slice(scores.lower, at, to),
          upper: scores.upper && slice(scores.upper, at, to),
        });
        at = to;
      }
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }
  return {
    name: scorer.name,
    version: scorer.version,
    unit: scorer.unit,
    score: (rides) =>
      new Promise((resolve, reject) => {
        if (waiting.length === 0) setImmediate(() => void run());
        waiting.push({ rides, resolve, reject });
      }),
  };
}

function slice(values: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  return values instanceof Float64Array ? values.subarray(from, to) : Array.from(values).slice(from, to);
}
