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

/** The most partitions `--partitions` may ask for, as TOPIC_PARTITIONS. */
export const MAX_PARTITIONS = 1000;

/**
 * Reads a whole-number option from 1 to `max` (digits only), undefined when not given;
 * throws FLEET_INPUT_INVALID naming the option. `--partitions 2.5` is refused, not truncated.
 */
export function positiveInteger(raw: string | undefined, name: string, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 1 && value <= max)) {
    throw new FleetError('FLEET_INPUT_INVALID', `--${name} must be a whole number from 1 to ${max}, got "${raw}"`);
  }
  return value;
}

/** An ISO 8601 date-time with its offset: 2026-11-25T10:00:00Z, 2026-11-25T11:00+01:00. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Reads the instant of option `--name`: an ISO 8601 date-time with its offset (Z or ±hh:mm),
 * not before 1970 (Kafka reads negative times as "earliest" and "latest"). A time without
 * an offset would be read in the machine's zone; anything else `Date.parse` guesses at.
 */
export function isoInstant(raw: string, name: string): number {
  const ms = ISO_INSTANT.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `--${name} "${raw}" is not an ISO date-time with its offset after 1970 (e.g. 2026-11-25T10:00:00Z)`,
    );
  }
  return ms;
}
