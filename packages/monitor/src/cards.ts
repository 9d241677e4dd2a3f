import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError, listModelVersions, MODEL_NAMES, type ModelName } from '@fleet/contract';
import { parseModelCard } from '@fleet/core';
import type { KnownVersion } from './monitor-state.js';
import { parseReference } from './reference.js';

/** The card files of a model under `modelsDir`: `<model>/<version>/model.json`, one per version. */
function cardFiles(modelsDir: string, model: ModelName): string[] {
  return listModelVersions(model, modelsDir).map((version) => join(modelsDir, model, version, 'model.json'));
}

/**
 * The model versions whose cards lie under `modelsDir`, each with the reference
 * distributions of its card (null for a card without them), one per name and version.
 * @throws FleetError FLEET_MODEL_LOAD_FAILED when a card cannot be read or is malformed.
 */
export function loadKnownVersions(modelsDir: string): KnownVersion[] {
  const out = new Map<string, KnownVersion>();
  for (const model of MODEL_NAMES) {
    for (const file of cardFiles(modelsDir, model)) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new FleetError('FLEET_MODEL_LOAD_FAILED', `model card ${file} cannot be read`, {
          cause: err,
          context: { file, model },
        });
      }
      const card = parseModelCard(json, file);
      out.set(`${card.name}@${card.version}`, {
        model: card.name,
        version: card.version,
        reference: parseReference(json as { reference?: unknown }, file),
      });
    }
  }
  return [...out.values()];
}
