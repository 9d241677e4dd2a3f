import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FleetError } from '@fleet/contract';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's arguments; unknown options are a FLEET_INPUT_INVALID error (exit code 2). */
export function parseCommandArgs<O extends Options>(argv: readonly string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (err) {
    throw new FleetError('FLEET_INPUT_INVALID', (err as Error).message, { cause: err });
  }
}

/** Reads a positive number option, or the default; throws FLEET_INPUT_INVALID naming the option. */
export function positiveNumber(raw: string | undefined, name: string, def: number): number {
  if (raw === undefined) return def;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new FleetError('FLEET_INPUT_INVALID', `--${name} must be a positive number, got "${raw}"`);
  }
  return value;
}
