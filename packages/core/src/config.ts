import { FleetError } from '@fleet/contract';
import { z } from 'zod';

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
  /** The zod schema that turns the raw text into a value; its message says what is expected. */
  readonly schema: z.ZodType<T, string>;
};

/** A configuration schema: one {@link EnvField} per option. */
export type EnvSchema = Record<string, EnvField<unknown>>;

/** The frozen configuration object a schema describes. */
export type ConfigOf<S extends EnvSchema> = {
  readonly [K in keyof S]: S[K] extends EnvField<infer T> ? T : never;
};

/** The same variable with another default: a service whose needs differ from the others'. */
export function withDefault<T>(field: EnvField<T>, def: T): EnvField<T> {
  return { ...field, default: def };
}

/** A string variable. */
export function str(env: string, doc: string, def?: string): EnvField<string> {
  return { env, doc, default: def, schema: z.string() };
}

/** An integer variable within `[min, max]`. */
export function int(
  env: string,
  doc: string,
  def: number | undefined,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): EnvField<number> {
  const expected = `expected an integer from ${min} to ${max}`;
  return {
    env,
    doc,
    default: def,
    schema: z
      .string()
      .trim()
      .regex(/^-?\d+$/, expected)
      .transform(Number)
      .pipe(z.number().int().min(min, expected).max(max, expected)),
  };
}

/** A decimal number variable within `[min, max]`. */
export function num(
  env: string,
  doc: string,
  def: number | undefined,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): EnvField<number> {
  const expected = `expected a number from ${min} to ${max}`;
  return {
    env,
    doc,
    default: def,
    schema: z
      .string()
      .trim()
      .regex(/^-?(\d+\.?\d*|\.\d+)$/, expected)
      .transform(Number)
      .pipe(z.number().min(min, expected).max(max, expected)),
  };
}

/** A boolean variable: `true|false|1|0|yes|no`. */
export function bool(env: string, doc: string, def: boolean): EnvField<boolean> {
  return {
    env,
    doc,
    default: def,
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['true', '1', 'yes', 'false', '0', 'no'], 'expected true or false'))
      .transform((v) => ['true', '1', 'yes'].includes(v)),
  };
}

const listOf = (item: z.ZodType<string, string>) =>
  z
    .string()
    .transform((raw) => raw.split(',').map((s) => s.trim()))
    .pipe(z.array(z.string().min(1, 'expected a comma-separated list without empty items').pipe(item)));

/** A comma-separated list of non-empty items. */
export function list(env: string, doc: string, def?: string[]): EnvField<string[]> {
  return { env, doc, default: def, schema: listOf(z.string()) };
}

/** A comma-separated list of integers, each within `[min, max]`. */
export function intList(
  env: string,
  doc: string,
  def: number[] | undefined,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): EnvField<number[]> {
  const expected = `expected comma-separated integers from ${min} to ${max}`;
  const item = z
    .string()
    .regex(/^\d+$/, expected)
    .transform(Number)
    .pipe(z.number().int().min(min, expected).max(max, expected));
  return {
    env,
    doc,
    default: def,
    schema: z
      .string()
      .transform((raw) => raw.split(',').map((s) => s.trim()))
      .pipe(z.array(item)),
  };
}

/** A comma-separated list of `host:port` addresses. */
export function hostPorts(env: string, doc: string, def?: string[]): EnvField<string[]> {
  const hostPort = z
    .string()
    .regex(/^[^\s:,]+:\d{1,5}$/, { error: (i) => `expected host:port addresses, "${String(i.input)}" is not one` });
  return { env, doc, default: def, schema: listOf(hostPort) };
}

/** One of a closed set of words. */
export function oneOf<T extends string>(env: string, doc: string, values: readonly [T, ...T[]], def?: T): EnvField<T> {
  return {
    env,
    doc,
    default: def,
    schema: z.enum(values, `expected one of ${values.join(', ')}`) as z.ZodType<T, string>,
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
    const parsed = field.schema.safeParse(raw);
    if (!parsed.success) {
      const why = parsed.error.issues[0]?.message ?? 'invalid value';
      const shown = SECRET_ENV.test(field.env) ? '<redacted>' : JSON.stringify(raw);
      // No `cause`: zod's error repeats the raw input, which may be a secret.
      throw new FleetError('FLEET_CONFIG_INVALID', `${field.env}=${shown} is invalid: ${why} (${field.doc})`, {
        context: { variable: field.env },
      });
    }
    out[key] = parsed.data;
  }
  return Object.freeze(out) as ConfigOf<S>;
}
