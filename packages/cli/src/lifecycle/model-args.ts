import { FleetError, isModelName, modelVersionDir, type ModelName } from '@fleet/contract';
import { cliConfig } from '../config.js';

/** The models directory the CLI and the services it starts use (`MODELS_DIR`, else the repository's). */
export const modelsDir = (): string | undefined => cliConfig().modelsDir || undefined;

/** Reads `<model>` (and `<version>` when `withVersion`) from a command's positionals. */
export function modelArgs(positionals: readonly string[], withVersion: boolean): { model: ModelName; version: string } {
  const [model, version = ''] = positionals;
  const expected = withVersion ? '<model> <version>' : '<model>';
  if (positionals.length !== (withVersion ? 2 : 1) || !isModelName(model)) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `expected ${expected} with model duration, cost or tip, got ${JSON.stringify(positionals)}`,
    );
  }
  if (withVersion) modelVersionDir(model, version, modelsDir());
  return { model, version };
}
