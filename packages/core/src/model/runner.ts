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
 * What one model call returns per row: the point estimate, and the bounds of its
 * prediction interval when the card declares one (`card.onnx.interval`), else null.
 */
export interface ModelOutputs {
  readonly value: Float64Array;
  readonly lower: Float64Array | null;
  readonly upper: Float64Array | null;
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
  /**
   * The point estimates and interval bounds of each row in one session call, non-finite
   * values as they are (what {@link ModelRunner.predictFeaturesUnchecked} reads `value` of).
   */
  predictOutputs(features: Float32Array, rows: number): Promise<ModelOutputs>;
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
  const interval = card.onnx.interval;
  const outputName = (name: string) => {
    if (session.outputNames.includes(name)) return name;
    throw new FleetError('FLEET_MODEL_LOAD_FAILED', `model "${card.name}": the graph has no output "${name}"`, {
      context,
    });
  };
  const names = interval
    ? [outputName(card.onnx.output.name), outputName(interval.lower.name), outputName(interval.upper.name)]
    : [outputName(card.onnx.output.name)];
  return async function scoreUnchecked(features: Float32Array, rows: number): Promise<ModelOutputs> {
    if (features.length !== rows * width) {
      throw new FleetError('FLEET_INPUT_INVALID', `expected ${rows}×${width} features, got ${features.length} values`, {
        context,
      });
    }
    if (rows === 0)
      return {
        value: new Float64Array(0),
        lower: interval && new Float64Array(0),
        upper: interval && new Float64Array(0),
      } as ModelOutputs;
    let output: ort.InferenceSession.ReturnType;
    try {
      const input = new ort.Tensor('float32', features, [rows, width]);
      output = await session.run({ [card.onnx.input.name]: input }, names);
    } catch (cause) {
      throw new FleetError('FLEET_MODEL_INFERENCE_FAILED', `model "${card.name}" failed on a batch of ${rows}`, {
        cause,
        context,
      });
    }
    const column = (name: string): Float64Array => {
      const data = output[name]?.data;
      if (!(data instanceof Float32Array) || data.length !== rows) {
        throw new FleetError(
          'FLEET_MODEL_INFERENCE_FAILED',
          `model "${card.name}" returned no float32 output "${name}" of ${rows} values`,
          { context },
        );
      }
      return Float64Array.from(data);
    };
    return {
      value: column(names[0]),
      lower: interval ? column(names[1]) : null,
      upper: interval ? column(names[2]) : null,
    };
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
