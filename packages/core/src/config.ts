import { FleetError } from './errors.js';

/** Variables whose values never appear in messages or logs. */
const SECRET_ENV = /PASSWORD|SECRET|TOKEN|KEY/i;

/** How one environment variable is read. */
export type EnvField<T> = {
  /** The environment variable, e.g. `KAFKA_BROKERS`. */
  readonly env: string;
  /** One line for the README's configuration table and for error messages. */
  readonly doc: string;
  /** The value when the variable is unset or empty. Omit to make the variable required. */
  readonly default?: T;
  /** Turns the raw text into a value; throws an Error whose message says what is expected. */
  readonly parse: (raw: string) => T;
};

/** A configuration schema: one {@link EnvField} per option. */
export type EnvSchema = Record<string, EnvField<unknown>>;

/** The frozen configuration object a schema describes. */
export type ConfigOf<S extends EnvSchema> = {
  readonly [K in keyof S]: S[K] extends EnvField<infer T> ? T : never;
};

/** Parses a string variable. */
export function str(env: string, doc: string, def?: string): EnvField<string> {
  return { env, doc, default: def, parse: (raw) => raw };
}

/** Parses an integer variable within `[min, max]`. */
export function int(
  env: string,
  doc: string,
  def: number | undefined,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): EnvField<number> {
  return {
    env,
    doc,
    default: def,
    parse: (raw) => {
      const value = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
        throw new Error(`expected an integer from ${min} to ${max}`);
      }
      return value;
    },
  };
}

/** Parses `true|false|1|0|yes|no`. */
export function bool(env: string, doc: string, def: boolean): EnvField<boolean> {
  return {
    env,
    doc,
    default: def,
    parse: (raw) => {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(v)) return true;
      if (['false', '0', 'no'].includes(v)) return false;
      throw new Error('expected true or false');
    },
  };
}

/** Parses a comma-separated list of non-empty items. */
export function list(env: string, doc: string, def?: string[]): EnvField<string[]> {
  return {
    env,
    doc,
    default: def,
    parse: (raw) => {
      const items = raw.split(',').map((s) => s.trim());
      if (items.some((s) => s === '')) throw new Error('expected a comma-separated list without empty items');
      return items;
    },
  };
}

/** Parses a comma-separated list of `host:port` addresses. */
export function hostPorts(env: string, doc: string, def?: string[]): EnvField<string[]> {
  const items = list(env, doc, def);
  return {
    ...items,
    parse: (raw) => {
      const parsed = items.parse(raw);
      const bad = parsed.find((a) => !/^[^\s:,]+:\d{1,5}$/.test(a));
      if (bad !== undefined) throw new Error(`expected host:port addresses, "${bad}" is not one`);
      return parsed;
    },
  };
}

/** Parses one of a closed set of words. */
export function oneOf<T extends string>(env: string, doc: string, values: readonly T[], def?: T): EnvField<T> {
  return {
    env,
    doc,
    default: def,
    parse: (raw) => {
      if (!(values as readonly string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}`);
      return raw as T;
    },
  };
}

/**
 * Reads every field of `schema` from `env` once, applies defaults, and returns a frozen
 * object. Throws a FleetError `FLEET_CONFIG_INVALID` naming the first bad variable.
 */
export function loadConfig<S extends EnvSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema)) {
    const raw = env[field.env];
    if (raw === undefined || raw === '') {
      if (field.default === undefined) {
        throw new FleetError('FLEET_CONFIG_INVALID', `${field.env} is required: ${field.doc}`, {
          context: { variable: field.env },
        });
      }
      out[key] = field.default;
      continue;
    }
    try {
      out[key] = field.parse(raw);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const shown = SECRET_ENV.test(field.env) ? '<redacted>' : JSON.stringify(raw);
      throw new FleetError('FLEET_CONFIG_INVALID', `${field.env}=${shown} is invalid: ${why} (${field.doc})`, {
        context: { variable: field.env },
        cause: err,
      });
    }
  }
  return Object.freeze(out) as ConfigOf<S>;
}
