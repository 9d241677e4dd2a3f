import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The three models the fleet serves. */
export const MODEL_NAMES = ['duration', 'cost', 'tip'] as const;

/** One of {@link MODEL_NAMES}. */
export type ModelName = (typeof MODEL_NAMES)[number];

// packages/core/src/model/paths.ts → the repository root is four levels up.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/**
 * The directory holding the model directories and `features.json`.
 * @param override a directory chosen by the caller (flag or env); wins when given.
 * @default `<repo>/models`
 */
export function defaultModelsDir(override?: string): string {
  return override !== undefined && override !== '' ? resolve(override) : join(REPO_ROOT, 'models');
}

/**
 * The directory of one model, `<models dir>/<name>` (holding `model.onnx` and `model.json`).
 * @param modelsDir overrides {@link defaultModelsDir}.
 */
export function defaultModelDir(name: string, modelsDir?: string): string {
  return join(defaultModelsDir(modelsDir), name);
}
