import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, computed here and nowhere else: `FLEET_ROOT` when set (an image
 * that runs bundled JavaScript from another folder), else three levels above this file
 * (`packages/contract/src/`).
 */
export const REPO_ROOT: string = process.env.FLEET_ROOT
  ? resolve(process.env.FLEET_ROOT)
  : resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Directory of the `*.avsc` files, the one source of the wire contract. */
export const SCHEMAS_DIR: string = join(REPO_ROOT, 'schemas');

/** The three models the fleet serves. */
export const MODEL_NAMES = ['duration', 'cost', 'tip'] as const;

/** One of {@link MODEL_NAMES}. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** Whether `name` is one of {@link MODEL_NAMES}. */
export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/**
 * The directory holding the model directories and `features.json`.
 * @param override a directory chosen by the caller (flag or env); wins when given.
 * @default `<repo>/models`
 */
export function defaultModelsDir(override?: string): string {
  return override !== undefined && override !== '' ? resolve(override) : join(REPO_ROOT, 'models');
}
