import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from './errors.js';
import { defaultModelsDir, MODEL_NAMES, type ModelName } from './paths.js';

/**
 * Which version of each model is current (what a service runs unless told otherwise)
 * and which one was current before it (where `fleet rollback` goes back to):
 * `models/manifest.json`. `npm run train` adds versions beside the old ones and never
 * changes it; `fleet promote` and `fleet rollback` do.
 */
export type ModelManifest = Record<ModelName, { current: string; previous: string | null }>;

/** The manifest file under a models directory. */
export function manifestPath(modelsDir?: string): string {
  return join(defaultModelsDir(modelsDir), 'manifest.json');
}

/**
 * Reads `models/manifest.json`.
 * @throws FleetError FLEET_MODEL_LOAD_FAILED when it is missing or names no current version of a model.
 */
export function readModelManifest(modelsDir?: string): ModelManifest {
  const file = manifestPath(modelsDir);
  let json: Partial<Record<string, { current?: unknown; previous?: unknown }>>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch (cause) {
    throw new FleetError(
      'FLEET_MODEL_LOAD_FAILED',
      `cannot read the model manifest ${file}: restore it (git checkout models/manifest.json)`,
      { cause, context: { file } },
    );
  }
  const out = {} as ModelManifest;
  for (const name of MODEL_NAMES) {
    const entry = json[name];
    if (typeof entry?.current !== 'string' || entry.current === '') {
      throw new FleetError('FLEET_MODEL_LOAD_FAILED', `model manifest ${file}: no current version of "${name}"`, {
        context: { file, model: name },
      });
    }
    out[name] = { current: entry.current, previous: typeof entry.previous === 'string' ? entry.previous : null };
  }
  return out;
}

/** Writes the manifest atomically (a temp file renamed over it), keys sorted. */
export function writeModelManifest(manifest: ModelManifest, modelsDir?: string): void {
  const file = manifestPath(modelsDir);
  const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(`${file}.tmp`, `${JSON.stringify(sorted, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The current version of a model (the manifest's). */
export function currentModelVersion(name: ModelName, modelsDir?: string): string {
  return readModelManifest(modelsDir)[name].current;
}

/** Compares two `major.minor.patch` versions numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The versions of a model present under the models directory (folders with a card), oldest first. */
export function listModelVersions(name: ModelName, modelsDir?: string): string[] {
  const dir = join(defaultModelsDir(modelsDir), name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'model.json')))
    .map((e) => e.name)
    .sort(compareVersions);
}

/**
 * The directory of one version of a model, `<models dir>/<name>/<version>` (holding
 * `model.onnx` and its card `model.json`).
 * @param version @default the manifest's current version
 * @throws FleetError FLEET_MODEL_VERSION_UNKNOWN when that version is not there, listing those that are.
 */
export function modelVersionDir(name: ModelName, version?: string, modelsDir?: string): string {
  const chosen = version !== undefined && version !== '' ? version : currentModelVersion(name, modelsDir);
  const dir = join(defaultModelsDir(modelsDir), name, chosen);
  if (!existsSync(join(dir, 'model.json'))) {
    const have = listModelVersions(name, modelsDir);
    throw new FleetError(
      'FLEET_MODEL_VERSION_UNKNOWN',
      `model "${name}" has no version ${chosen} under ${defaultModelsDir(modelsDir)} ` +
        `(versions: ${have.join(', ') || 'none'}); train one with \`npm run train\``,
      { context: { model: name, version: chosen, versions: have } },
    );
  }
  return dir;
}

/**
 * The directory of the current version of one model (the manifest's):
 * `<models dir>/<name>/<version>`. {@link modelVersionDir} names another version.
 * @param modelsDir overrides {@link defaultModelsDir}.
 */
export function defaultModelDir(name: ModelName, modelsDir?: string): string {
  return modelVersionDir(name, undefined, modelsDir);
}
