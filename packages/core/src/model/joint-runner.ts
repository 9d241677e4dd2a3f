import { FleetError } from '@fleet/contract';
import type * as ort from 'onnxruntime-node';
import type { ModelCard } from './card.js';
import { loadModelParts } from './model-files.js';
import { mergeOnnxModels, mergedOutputName } from './onnx-merge.js';
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
  const parts = await Promise.all(dirs.map((dir) => loadModelParts(dir)));
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
