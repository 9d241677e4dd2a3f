import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FleetError } from '@fleet/contract';
import * as ort from 'onnxruntime-node';
import { parseModelCard, type ModelCard } from './card.js';
import { mergeOnnxModels, mergedOutputName } from './onnx-merge.js';

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

/** The session's names of a card's outputs (point estimate, then interval bounds), each checked. */
function outputNames(session: ort.InferenceSession, card: ModelCard, nameOf: (output: string) => string): string[] {
  const interval = card.onnx.interval;
  const wanted = interval ? [card.onnx.output.name, interval.lower.name, interval.upper.name] : [card.onnx.output.name];
  return wanted.map((output) => {
    const name = nameOf(output);
    if (session.outputNames.includes(name)) return name;
    throw new FleetError('FLEET_MODEL_LOAD_FAILED', `model "${card.name}": the graph has no output "${name}"`, {
      context: { model: card.name, version: card.version },
    });
  });
}

function checkShape(features: Float32Array, rows: number, width: number, context: Record<string, string>): void {
  if (features.length !== rows * width) {
    throw new FleetError('FLEET_INPUT_INVALID', `expected ${rows}×${width} features, got ${features.length} values`, {
      context,
    });
  }
}

const noOutputs = (card: ModelCard): ModelOutputs => {
  const empty = () => (card.onnx.interval ? new Float64Array(0) : null);
  return { value: new Float64Array(0), lower: empty(), upper: empty() };
};

/** A card's outputs (`names`, from {@link outputNames}) of one session call over `rows` rows. */
function readOutputs(
  output: ort.InferenceSession.ReturnType,
  names: readonly string[],
  rows: number,
  card: ModelCard,
): ModelOutputs {
  const column = (name: string): Float64Array => {
    const data = output[name]?.data;
    if (!(data instanceof Float32Array) || data.length !== rows) {
      throw new FleetError(
        'FLEET_MODEL_INFERENCE_FAILED',
        `model "${card.name}" returned no float32 output "${name}" of ${rows} values`,
        { context: { model: card.name, version: card.version } },
      );
    }
    return Float64Array.from(data);
  };
  return {
    value: column(names[0]),
    lower: names.length > 1 ? column(names[1]) : null,
    upper: names.length > 1 ? column(names[2]) : null,
  };
}

/** One session call over `rows` rows of `features`, reading `names`. */
async function runSession(
  session: ort.InferenceSession,
  input: { name: string; width: number },
  features: Float32Array,
  rows: number,
  names: readonly string[],
  what: { label: string; context: Record<string, string> },
): Promise<ort.InferenceSession.ReturnType> {
  try {
    const tensor = new ort.Tensor('float32', features, [rows, input.width]);
    return await session.run({ [input.name]: tensor }, names as string[]);
  } catch (cause) {
    throw new FleetError('FLEET_MODEL_INFERENCE_FAILED', `${what.label} failed on a batch of ${rows}`, {
      cause,
      context: what.context,
    });
  }
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

/**
 * Models that read the same feature rows, loaded as one onnxruntime session (their graphs
 * merged, see `onnx-merge.ts`): one call scores rows with each, which costs less than a
 * call per model since every call has a fixed cost of its own.
 */
export interface JointRunner {
  /** Each model's card, in the order of the directories. */
  readonly cards: readonly ModelCard[];
  /** Each model's outputs of `rows` rows, in the order of {@link JointRunner.cards}, in one session call. */
  predictOutputs(features: Float32Array, rows: number): Promise<ModelOutputs[]>;
  close(): Promise<void>;
}

/**
 * Loads the model directories `dirs` (each ONNX file's sha256 checked against its card, as
 * {@link loadModel} does) as one session running them all.
 * @throws FleetError FLEET_MODEL_CHECKSUM_MISMATCH when a file differs from its card;
 *   FLEET_MODEL_LOAD_FAILED when a file is missing or invalid, when the models cannot be
 *   merged (other inputs or opsets, parts of the format not read by the merge) or when
 *   onnxruntime refuses the merged graph: the caller then runs them apart.
 */
export async function loadJointModel(dirs: readonly string[], opts: LoadModelOptions = {}): Promise<JointRunner> {
  const parts = await Promise.all(dirs.map((dir) => loadParts(dir)));
  const cards = parts.map((p) => p.card);
  const first = cards[0];
  const label = `models ${cards.map((c) => `"${c.name}"`).join(', ')}`;
  const mismatch = cards.find(
    (c) => c.onnx.input.name !== first.onnx.input.name || c.features.join('\n') !== first.features.join('\n'),
  );
  let merged: Uint8Array;
  try {
    if (mismatch) throw new Error(`model "${mismatch.name}" reads other features than "${first.name}"`);
    merged = mergeOnnxModels(parts.map((p) => ({ name: p.card.name, onnx: p.onnx })));
  } catch (cause) {
    throw new FleetError('FLEET_MODEL_LOAD_FAILED', `cannot merge ${label}: ${(cause as Error).message}`, { cause });
  }
  let session: ort.InferenceSession;
  try {
    session = await createSession(merged, first, opts);
  } catch (cause) {
    throw new FleetError(
      'FLEET_MODEL_LOAD_FAILED',
      `onnxruntime cannot load the merged ${label}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const input = { name: first.onnx.input.name, width: first.features.length };
  const what = { label, context: { models: cards.map((c) => `${c.name} ${c.version}`).join(', ') } };
  let names: string[][];
  try {
    names = cards.map((card) => outputNames(session, card, (output) => mergedOutputName(card.name, output)));
  } catch (err) {
    await session.release();
    throw err;
  }
  const all = names.flat();
  return {
    cards,
    async predictOutputs(features, rows) {
      checkShape(features, rows, input.width, what.context);
      if (rows === 0) return cards.map(noOutputs);
      const output = await runSession(session, input, features, rows, all, what);
      return cards.map((card, i) => readOutputs(output, names[i], rows, card));
    },
    close: () => session.release(),
  };
}
