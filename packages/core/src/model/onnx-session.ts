/**
 * The onnxruntime session calls shared by the single-model runner (`runner.ts`) and the
 * joint runner (`joint-runner.ts`): creating a session, naming and reading a card's outputs,
 * and one checked call over a batch of rows.
 */
import { FleetError } from '@fleet/contract';
import * as ort from 'onnxruntime-node';
import type { ModelCard } from './card.js';

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
 * An onnxruntime session of `onnx` (sequential execution, 1 + 1 threads by default),
 * checked to have the input `card` names.
 * @throws FleetError FLEET_MODEL_LOAD_FAILED when onnxruntime rejects the model.
 */
export async function createSession(
  onnx: Uint8Array,
  card: ModelCard,
  opts: LoadModelOptions,
): Promise<ort.InferenceSession> {
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

/** The session's names of a card's outputs (point estimate, then interval bounds), each checked. */
export function outputNames(
  session: ort.InferenceSession,
  card: ModelCard,
  nameOf: (output: string) => string,
): string[] {
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

/** Refuses `features` unless it holds `rows` rows of `width` columns (FLEET_INPUT_INVALID). */
export function checkShape(features: Float32Array, rows: number, width: number, context: Record<string, string>): void {
  if (features.length !== rows * width) {
    throw new FleetError('FLEET_INPUT_INVALID', `expected ${rows}×${width} features, got ${features.length} values`, {
      context,
    });
  }
}

/** A card's outputs of zero rows (no session call needed). */
export const noOutputs = (card: ModelCard): ModelOutputs => {
  const empty = () => (card.onnx.interval ? new Float64Array(0) : null);
  return { value: new Float64Array(0), lower: empty(), upper: empty() };
};

/** A card's outputs (`names`, from {@link outputNames}) of one session call over `rows` rows. */
export function readOutputs(
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
export async function runSession(
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
