import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { FleetError } from '../errors.js';
import { buildFeatures } from '../features/build.js';
import { parseFeatureSpec, type FeatureSpec } from '../features/spec.js';
import type { RideStarted } from '../rides.js';
import { parseModelCard, type ModelCard } from './card.js';

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * Threads of onnxruntime's intra-op pool. Sized for a 2-core machine that runs the
   * three model services side by side.
   * @default 1
   */
  intraOpNumThreads?: number;
  /** Threads of onnxruntime's inter-op pool (unused in sequential execution). @default 1 */
  interOpNumThreads?: number;
  /** The feature spec the model was trained with. @default `<dir>/../features.json` */
  featureSpecPath?: string;
}

/** A loaded, verified model: one onnxruntime session, its card and its feature spec. */
export interface ModelRunner {
  /** The model card (`model.json`). */
  readonly card: ModelCard;
  /** The feature spec the inputs are built with. */
  readonly spec: FeatureSpec;
  /** `card.name`, carried by every prediction. */
  readonly name: string;
  /** `card.version`, carried by every prediction. */
  readonly version: string;
  /**
   * Predicts the target (in `card.target.unit`) for every ride, in one session call.
   * @throws FleetError FLEET_INPUT_INVALID, FLEET_MODEL_INFERENCE_FAILED or
   *   FLEET_MODEL_NON_FINITE_OUTPUT (with the row index).
   */
  predict(rides: readonly RideStarted[]): Promise<Float64Array>;
  /**
   * Like {@link ModelRunner.predict} but returns non-finite outputs as they are instead of
   * throwing, so a caller can set aside just the rides the model cannot score.
   */
  predictUnchecked(rides: readonly RideStarted[]): Promise<Float64Array>;
  /** Predicts from a prepared row-major float32 feature matrix of `rows` rows. */
  predictFeatures(features: Float32Array, rows: number): Promise<Float64Array>;
  /** Releases the session; the runner cannot predict afterwards. */
  close(): Promise<void>;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readOrFail(path: string, model: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new FleetError('FLEET_MODEL_LOAD_FAILED', `cannot read ${path}`, {
      cause,
      context: { model, file: path },
    });
  }
}

function verify(file: string, data: Uint8Array, expected: string, model: string): void {
  const actual = sha256(data);
  if (actual === expected) return;
  throw new FleetError(
    'FLEET_MODEL_CHECKSUM_MISMATCH',
    `refusing to load model "${model}": sha256 of ${file} is ${actual}, but its model card ` +
      `expects ${expected}. The file was modified or belongs to another card: restore ` +
      'the committed file (git checkout) or retrain with `npm run train`.',
    { context: { model, file, expected, actual } },
  );
}

async function loadParts(dir: string, opts: LoadModelOptions) {
  const cardPath = join(dir, 'model.json');
  const cardText = (await readOrFail(cardPath, dir)).toString('utf8');
  let card: ModelCard;
  try {
    card = parseModelCard(JSON.parse(cardText), cardPath);
  } catch (cause) {
    if (cause instanceof FleetError) throw cause;
    throw new FleetError('FLEET_MODEL_LOAD_FAILED', `model card ${cardPath} is not JSON`, { cause });
  }
  const onnxPath = join(dir, card.onnx.file ?? 'model.onnx');
  const onnx = await readOrFail(onnxPath, card.name);
  verify(onnxPath, onnx, card.sha256, card.name);
  const specPath = opts.featureSpecPath ?? join(dirname(dir), 'features.json');
  const specBytes = await readOrFail(specPath, card.name);
  verify(specPath, specBytes, card.feature_spec.sha256, card.name);
  const spec = parseFeatureSpec(JSON.parse(specBytes.toString('utf8')), specPath);
  if (spec.names.length !== card.features.length || spec.names.some((n, i) => n !== card.features[i])) {
    throw new FleetError('FLEET_MODEL_LOAD_FAILED', `${cardPath}: features differ from ${specPath}`, {
      context: { model: card.name },
    });
  }
  return { card, spec, onnx };
}

async function createSession(onnx: Uint8Array, card: ModelCard, opts: LoadModelOptions) {
  try {
    const session = await ort.InferenceSession.create(onnx, {
      intraOpNumThreads: opts.intraOpNumThreads ?? 1,
      interOpNumThreads: opts.interOpNumThreads ?? 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    if (!session.inputNames.includes(card.onnx.input.name)) {
      throw new Error(`the graph has no input "${card.onnx.input.name}" (has ${session.inputNames.join(', ')})`);
    }
    return session;
  } catch (cause) {
    throw new FleetError(
      'FLEET_MODEL_LOAD_FAILED',
      `onnxruntime cannot load model "${card.name}": ${(cause as Error).message}`,
      {
        cause,
        context: { model: card.name },
      },
    );
  }
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
  const width = card.features.length;
  const context = { model: card.name, version: card.version };
  return async function scoreUnchecked(features: Float32Array, rows: number): Promise<Float64Array> {
    if (features.length !== rows * width) {
      throw new FleetError('FLEET_INPUT_INVALID', `expected ${rows}×${width} features, got ${features.length} values`, {
        context,
      });
    }
    if (rows === 0) return new Float64Array(0);
    let data: unknown;
    try {
      const input = new ort.Tensor('float32', features, [rows, width]);
      const output = await session.run({ [card.onnx.input.name]: input });
      data = output[card.onnx.output.name]?.data;
    } catch (cause) {
      throw new FleetError('FLEET_MODEL_INFERENCE_FAILED', `model "${card.name}" failed on a batch of ${rows}`, {
        cause,
        context,
      });
    }
    if (!(data instanceof Float32Array) || data.length !== rows) {
      throw new FleetError(
        'FLEET_MODEL_INFERENCE_FAILED',
        `model "${card.name}" returned no float32 output of ${rows} values`,
        { context },
      );
    }
    return Float64Array.from(data);
  };
}

/**
 * Loads the model directory `dir` (`model.json` + `model.onnx`, the feature spec beside
 * it): checks both files' sha256 against the card and creates one onnxruntime session
 * (sequential execution, 1 + 1 threads by default).
 * @throws FleetError FLEET_MODEL_CHECKSUM_MISMATCH when a file differs from its card,
 *   FLEET_MODEL_LOAD_FAILED when a file is missing, invalid or rejected by onnxruntime.
 */
export async function loadModel(dir: string, opts: LoadModelOptions = {}): Promise<ModelRunner> {
  const { card, spec, onnx } = await loadParts(dir, opts);
  const session = await createSession(onnx, card, opts);
  const scoreUnchecked = batchScorer(session, card);
  const predictFeatures = async (features: Float32Array, rows: number) =>
    checkFinite(await scoreUnchecked(features, rows), card);
  return {
    card,
    spec,
    name: card.name,
    version: card.version,
    predictFeatures,
    predict: (rides) => predictFeatures(buildFeatures(spec, rides), rides.length),
    predictUnchecked: (rides) => scoreUnchecked(buildFeatures(spec, rides), rides.length),
    close: () => session.release(),
  };
}
