/** The venv's directory, models/train/.venv. */
export declare const VENV: string;
/** The training pipeline's pinned requirements, models/train/requirements.txt. */
export declare const TRAIN_REQUIREMENTS: string;
/**
 * Creates the venv `dir` (default: {@link VENV}) when missing and installs `requirements`
 * (a path) when it changed since the install recorded in the venv's `stampName`; a no-op
 * otherwise. Returns the interpreter.
 * @throws Error when an install step fails.
 */
export declare function ensureVenv(
  requirements: string,
  stampName: string,
  say?: (line: string) => void,
  dir?: string,
): string;
/**
 * The project's venv ({@link VENV}) with the training pipeline's pinned requirements
 * (models/train/requirements.txt) installed when they changed. Returns the interpreter.
 * @throws Error when an install step fails.
 */
export declare function ensureTrainingVenv(say?: (line: string) => void): string;
