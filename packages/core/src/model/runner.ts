import { FleetError } from '@fleet/contract';
import type * as ort from 'onnxruntime-node';
import type { ModelCard } from './card.js';
import { loadModelParts } from './model-files.js';
import {
  checkShape,
  createSession,
  noOutputs,
  outputNames,
  readOutputs,
  runSession,
  type LoadModelOptions,
  type ModelOutputs,
} from './onnx-session.js';

/**
 * A loaded, verified model over a generic input: one onnxruntime session and its card,
 * fed a row-major float32 matrix of `card.features.length` columns. What the columns mean
 * is the caller's (the ride features live in `@fleet/contract`).
 */
export interface ModelRunner {
  /** The directory the model was loaded from. */
  readonly dir: string;
  /** The model card (`model.json`). */
  readonly card: ModelCard;
  /** `card.name`, carried by every prediction. */
  readonly name: string;
  /** `card.version`, carried by every prediction. */
  readonly version: string;
  /**
   * Predicts the target (in `card.target.unit`) for each of `rows` rows, in one session call.
   * @throws FleetError FLEET_INPUT_INVALID, FLEET_MODEL_INFERENCE_FAILED or
   *   FLEET_MODEL_NON_FINITE_OUTPUT (with the row index).
   */
  predictFeatures(features: Float32Array, rows: number): Promise<Float64Array>;
  /**
   * Like {@link ModelRunner.predictFeatures} but returns non-finite outputs as they are
   * instead of throwing, so a caller can set aside just the rows the model cannot score.
   */
  predictFeaturesUnchecked(features: Float32Array, rows: number): Promise<Float64Array>;
  /**
   * The point estimates and interval bounds of each row in one session call, non-finite
   * values as they are (what {@link ModelRunner.predictFeaturesUnchecked} reads `value` of).
   */
  predictOutputs(features: Float32Array, rows: number): Promise<ModelOutputs>;
  /** Releases the session; the runner cannot predict afterwards. */
  close(): Promise<void>;
}

function checkFinite(result: Float64Array, card: ModelCard): Float64Array {
  const bad = result.findIndex((v) => !Number.isFinite(v));
  if (bad !== -1) {
    throw new FleetError(
      'FLEET_MODEL_NON_FINITE_OUTPUT',
      `model "${card.name}" returned ${result[bad]} for row ${bad}`,
      {
        context: { model: card.name, version: card.version, row: bad },
      },
    );
  }
  return result;
}

function batchScorer(session: ort.InferenceSession, card: ModelCard) {
  const input = { name: card.onnx.input.name, width: card.features.length };
  const what = { label: `model "${card.name}"`, context: { model: card.name, version: card.version } };
  const names = outputNames(session, card, (output) => output);
  return async function scoreUnchecked(features: Float32Array, rows: number): Promise<ModelOutputs> {
    checkShape(features, rows, input.width, what.context);
    if (rows === 0) return noOutputs(card);
    return readOutputs(await runSession(session, input, features, rows, names, what), names, rows, card);
  };
}

/**
 * Loads the model directory `dir` (`model.json` + `model.onnx`): checks the ONNX file's
 * sha256 against the card and creates one onnxruntime session (sequential execution,
 * 1 + 1 threads by default).
 * @throws FleetError FLEET_MODEL_CHECKSUM_MISMATCH when a file differs from its card,
 *   FLEET_MODEL_LOAD_FAILED when a file is missing, invalid or rejected by onnxruntime.
 */
export async function loadModel(dir: string, opts: LoadModelOptions = {}): Promise<ModelRunner> {
  const { card, onnx } = await loadModelParts(dir);
  const session = await createSession(onnx, card, opts);
  const predictOutputs = batchScorer(session, card);
  const predictFeaturesUnchecked = async (features: Float32Array, rows: number) =>
    (await predictOutputs(features, rows)).value;
  return {
    dir,
    card,
    name: card.name,
    version: card.version,
    predictFeatures: async (features, rows) => checkFinite(await predictFeaturesUnchecked(features, rows), card),
    predictFeaturesUnchecked,
    predictOutputs,
    close: () => session.release(),
  };
}
