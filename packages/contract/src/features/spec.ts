import { readFile } from 'node:fs/promises';
import { FleetError } from '../errors.js';

/** The categorical ride fields that are one-hot encoded, in feature order. */
export const CATEGORICAL_FIELDS = ['pickup_borough', 'dropoff_borough', 'pickup_zone', 'dropoff_zone'] as const;

/** One of {@link CATEGORICAL_FIELDS}. */
export type CategoricalField = (typeof CATEGORICAL_FIELDS)[number];

/**
 * The fixed leading features, in order; the one-hot blocks of {@link CATEGORICAL_FIELDS}
 * follow. Must equal `BASE_NAMES` of `models/train/features.py`.
 */
export const BASE_FEATURE_NAMES: readonly string[] = Object.freeze([
  'distance_miles',
  'passengers',
  'pickup_hour',
  'pickup_minute_of_day',
  'pickup_weekday',
  'is_weekend',
  'time_of_day_sin',
  'time_of_day_cos',
  'is_green',
  'pay_credit_card',
  'pay_cash',
  'pay_unknown',
  'card_distance_miles',
  'same_zone',
  'pickup_airport',
  'dropoff_airport',
  ...Array.from({ length: 24 }, (_, h) => `hour_${String(h).padStart(2, '0')}`),
]);

/** The spec version this code implements (`spec_version` of `models/features.json`). */
export const FEATURE_SPEC_VERSION = 1;

/**
 * The feature contract written by the training pipeline (`models/features.json`): the
 * vocabularies learned on the training split and the ordered feature names.
 */
export interface FeatureSpec {
  /** Layout version; this code reads {@link FEATURE_SPEC_VERSION}. */
  readonly spec_version: number;
  /** IANA zone of the wall clock that the time features use (`America/New_York`). */
  readonly timezone: string;
  /** Name of the bucket of values outside a vocabulary (and of null). */
  readonly other_bucket: string;
  /** Zone names that count as airports. */
  readonly airport_zones: readonly string[];
  /** Known values of each categorical field, in column order. */
  readonly vocabularies: Readonly<Record<CategoricalField, readonly string[]>>;
  /** Every feature name, in the column order of the model input. */
  readonly names: readonly string[];
}

/** The feature names a spec's vocabularies imply, in column order. */
export function expectedFeatureNames(spec: Omit<FeatureSpec, 'names'>): string[] {
  const names = [...BASE_FEATURE_NAMES];
  for (const field of CATEGORICAL_FIELDS) {
    for (const value of spec.vocabularies[field]) names.push(`${field}=${value}`);
    names.push(`${field}=${spec.other_bucket}`);
  }
  return names;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function invalid(source: string, why: string): FleetError {
  return new FleetError(
    'FLEET_MODEL_LOAD_FAILED',
    `feature spec ${source} is invalid: ${why}; regenerate it with \`npm run train\``,
    { context: { file: source } },
  );
}

/**
 * Validates parsed JSON as a {@link FeatureSpec}: the version, the vocabularies and that
 * `names` is exactly the layout this code builds (so TypeScript and Python cannot drift).
 * @throws FleetError FLEET_MODEL_LOAD_FAILED when it is not.
 */
export function parseFeatureSpec(json: unknown, source = 'features.json'): FeatureSpec {
  const raw = json as Partial<FeatureSpec> | null;
  if (raw === null || typeof raw !== 'object') throw invalid(source, 'not a JSON object');
  if (raw.spec_version !== FEATURE_SPEC_VERSION) {
    throw invalid(source, `spec_version ${String(raw.spec_version)} is not ${FEATURE_SPEC_VERSION}`);
  }
  if (typeof raw.timezone !== 'string' || typeof raw.other_bucket !== 'string') {
    throw invalid(source, 'timezone and other_bucket must be strings');
  }
  if (!isStringArray(raw.airport_zones) || !isStringArray(raw.names)) {
    throw invalid(source, 'airport_zones and names must be arrays of strings');
  }
  const vocabularies = raw.vocabularies as Record<string, unknown> | undefined;
  for (const field of CATEGORICAL_FIELDS) {
    if (!isStringArray(vocabularies?.[field])) throw invalid(source, `vocabularies.${field} missing`);
  }
  const spec = raw as FeatureSpec;
  const expected = expectedFeatureNames(spec);
  const at = expected.findIndex((name, i) => spec.names[i] !== name);
  if (at !== -1 || expected.length !== spec.names.length) {
    const where = at === -1 ? expected.length : at;
    throw invalid(source, `feature ${where} is "${spec.names[where]}", expected "${expected[where]}"`);
  }
  return spec;
}

/**
 * Reads and validates a feature spec file (`models/features.json`).
 * @throws FleetError FLEET_MODEL_LOAD_FAILED when it cannot be read or is invalid.
 */
export async function loadFeatureSpec(path: string): Promise<FeatureSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new FleetError('FLEET_MODEL_LOAD_FAILED', `cannot read feature spec ${path}`, {
      cause,
      context: { file: path },
    });
  }
  try {
    return parseFeatureSpec(JSON.parse(text), path);
  } catch (cause) {
    if (cause instanceof FleetError) throw cause;
    throw invalid(path, `not JSON (${(cause as Error).message})`);
  }
}
