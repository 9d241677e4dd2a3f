import { FleetError } from '@fleet/contract';

/** A numeric feature's training bins: edges between deciles (`models/train/reference.py`). */
export interface NumericReference {
  readonly kind: 'numeric';
  /** Ascending; bin i holds edges[i-1] < x <= edges[i], the first and last bins are open. */
  readonly edges: readonly number[];
  /** Training share of each of the `edges.length + 1` bins. */
  readonly shares: readonly number[];
  /** Training share of missing values. */
  readonly missing_share: number;
}

/** A categorical feature's training categories, as they are. */
export interface CategoricalReference {
  readonly kind: 'categorical';
  readonly categories: readonly string[];
  /** Training share of each category. */
  readonly shares: readonly number[];
  readonly missing_share: number;
}

/** The training distribution of one feature (the prediction, or an input). */
export type FeatureReference = NumericReference | CategoricalReference;

/** A model card's `reference`: the training distributions drift is measured against. */
export interface ModelReference {
  /** Training rows the shares come from. */
  readonly rows: number;
  readonly features: Readonly<Record<string, FeatureReference>>;
}

/** A value of a feature as a ride or prediction has it; null is missing. */
export type FeatureValue = number | string | null;

const isNumberArray = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

function parseFeature(name: string, raw: unknown, bad: (field: string) => FleetError): FeatureReference {
  const f = raw as Partial<Record<string, unknown>> | null;
  if (f === null || typeof f !== 'object') throw bad(name);
  if (typeof f.missing_share !== 'number' || !isNumberArray(f.shares)) throw bad(`${name}.shares`);
  if (f.kind === 'numeric') {
    const edges = f.edges;
    if (!isNumberArray(edges) || edges.some((e, i) => i > 0 && e <= edges[i - 1])) throw bad(`${name}.edges`);
    if (f.shares.length !== edges.length + 1) throw bad(`${name}.shares`);
    return { kind: 'numeric', edges, shares: f.shares, missing_share: f.missing_share };
  }
  if (f.kind === 'categorical') {
    const categories = f.categories;
    if (!Array.isArray(categories) || !categories.every((c) => typeof c === 'string')) {
      throw bad(`${name}.categories`);
    }
    if (f.shares.length !== categories.length) throw bad(`${name}.shares`);
    return { kind: 'categorical', categories, shares: f.shares, missing_share: f.missing_share };
  }
  throw bad(`${name}.kind`);
}

/**
 * The `reference` of a parsed model card, checked; null when the card has none (a card
 * written before reference distributions existed: its drift is not measured).
 * @throws FleetError FLEET_MODEL_LOAD_FAILED naming the card and the bad field.
 */
export function parseReference(card: { reference?: unknown }, source: string): ModelReference | null {
  if (card.reference === undefined) return null;
  const bad = (field: string): FleetError =>
    new FleetError('FLEET_MODEL_LOAD_FAILED', `model card ${source}: reference.${field} is missing or invalid`, {
      context: { file: source, field: `reference.${field}` },
    });
  const ref = card.reference as { rows?: unknown; features?: unknown } | null;
  if (ref === null || typeof ref !== 'object') throw bad('(the object)');
  if (typeof ref.rows !== 'number' || ref.rows <= 0) throw bad('rows');
  if (ref.features === null || typeof ref.features !== 'object') throw bad('features');
  const features: Record<string, FeatureReference> = {};
  for (const [name, raw] of Object.entries(ref.features)) features[name] = parseFeature(name, raw, bad);
  return { rows: ref.rows, features };
}

/**
 * Bins of a feature, in order: the value bins, then (categorical) one for values unseen in
 * training, then one for missing values.
 */
export function binCount(ref: FeatureReference): number {
  return ref.kind === 'numeric' ? ref.edges.length + 2 : ref.categories.length + 2;
}

/** The index of the bin `value` falls in (see {@link binCount}), as the training pipeline bins. */
export function binOf(ref: FeatureReference, value: FeatureValue): number {
  const missing = binCount(ref) - 1;
  if (value === null || (typeof value === 'number' && Number.isNaN(value))) return missing;
  if (ref.kind === 'categorical') {
    const at = ref.categories.indexOf(String(value));
    return at === -1 ? ref.categories.length : at;
  }
  const x = Number(value);
  // numpy.searchsorted(edges, x, side='left'): the first edge >= x.
  let lo = 0;
  let hi = ref.edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ref.edges[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Training share of every bin, aligned with {@link binOf}. */
export function referenceShares(ref: FeatureReference): number[] {
  return ref.kind === 'numeric' ? [...ref.shares, ref.missing_share] : [...ref.shares, 0, ref.missing_share];
}

/** Share floor of an empty bin, so a bin empty on one side does not make the PSI infinite. */
export const PSI_FLOOR = 1e-4;

/**
 * Population stability index of live bin counts against the reference shares:
 * Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ), both shares floored at {@link PSI_FLOOR}. NaN without counts.
 */
export function psi(expected: readonly number[], counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = Math.max(counts[i] / total, PSI_FLOOR);
    const e = Math.max(expected[i], PSI_FLOOR);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}
