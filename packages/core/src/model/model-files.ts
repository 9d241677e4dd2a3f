import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FleetError } from '@fleet/contract';
import { parseModelCard, type ModelCard } from './card.js';

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

/**
 * Reads the model directory `dir`: its card (`model.json`) and the ONNX file the card
 * names, whose sha256 is checked against the card.
 * @throws FleetError FLEET_MODEL_CHECKSUM_MISMATCH when the ONNX file differs from its card,
 *   FLEET_MODEL_LOAD_FAILED when a file is missing or the card invalid.
 */
export async function loadModelParts(dir: string): Promise<{ card: ModelCard; onnx: Buffer }> {
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
