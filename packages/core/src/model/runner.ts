import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FleetError } from '@fleet/contract';
import * as ort from 'onnxruntime-node';
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
}

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
  /** Releases the session; the runner cannot predict afterwards. */
  close(): Promise<void>;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads a file a model needs; a missing or unreadable file is FLEET_MODEL_LOAD_FAILED. */
export async function readModelFile(path: string, model: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new FleetError('FLEET_MODEL_LOAD_FAILED', `cannot read ${path}`, {
      cause,
      context: { model, file: path },
    });
  }
}

/**
 * Refuses `data` (read from `file`) unless its sha256 is `expected` (from the card).
 * @throws FleetError FLEET_MODEL_CHECKSUM_MISMATCH saying how to restore the file.
 */
export function verifyChecksum(file: string, data: Uint8Array, expected: string, model: string): void {
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

async function loadParts(dir: string) {
  const cardPath = join(dir, 'model.json');
  const cardText = (await readModelFile(cardPath, dir)).toString('utf8');
  let card: ModelCard;
  try {
    card = parseModelCard(JSON.parse(cardText), cardPath);
  } catch (cause) {
    if (cause instanceof FleetError) throw cause;
    throw new FleetError('FLEET_MODEL_LOAD_FAILED', `model card ${cardPath} is not JSON`, { cause });
  }
  const onnxPath = join(dir, card.onnx.file ?? 'model.onnx');
  const onnx = await readModelFile(onnxPath, card.name);
  verifyChecksum(onnxPath, onnx, card.sha256, card.name);
  return { card, onnx };
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
 * Loads the model directory `dir` (`model.json` + `model.onnx`): checks the ONNX file's
 * sha256 against the card and creates one onnxruntime session (sequential execution,
 * 1 + 1 threads by default).
 * @throws FleetError FLEET_MODEL_CHECKSUM_MISMATCH when a file differs from its card,
 *   FLEET_MODEL_LOAD_FAILED when a file is missing, invalid or rejected by onnxruntime.
 */
export async function loadModel(dir: string, opts: LoadModelOptions = {}): Promise<ModelRunner> {
  const { card, onnx } = await loadParts(dir);
  const session = await createSession(onnx, card, opts);
  const predictFeaturesUnchecked = batchScorer(session, card);
  return {
    dir,
    card,
    name: card.name,
    version: card.version,
    predictFeatures: async (features, rows) => checkFinite(await predictFeaturesUnchecked(features, rows), card),
    predictFeaturesUnchecked,
    close: () => session.release(),
  };
}
