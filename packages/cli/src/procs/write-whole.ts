import { chmodSync, renameSync, writeFileSync } from 'node:fs';

/**
 * Writes `text` to `file` whole or not at all (a temporary file beside it, renamed): a reader
 * never meets half a record. With `mode`, the file has it whatever a leftover temporary had.
 */
export function writeWhole(file: string, text: string, mode?: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, mode === undefined ? undefined : { mode });
  // `mode` applies only to a file the write creates: one left behind by a crashed run keeps its own.
  if (mode !== undefined) chmodSync(tmp, mode);
  renameSync(tmp, file);
}
