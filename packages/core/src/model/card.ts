import { FleetError } from '@fleet/contract';

/** Test-split quality of one predictor (units of the target). */
export interface SplitMetrics {
  readonly mae: number;
  readonly rmse: number;
  readonly r2: number;
}

/** One model family that was compared when the model was trained. */
export interface FamilyReport {
  /** Mean MAE of 5-fold cross-validation on the training split. */
  readonly cv_mae: number;
  readonly test: SplitMetrics;
  readonly params: Readonly<Record<string, string | number | boolean>>;
}

/** One lighter candidate of the served tree ensemble (`models/train/inference_cost.py`). */
export interface CostCandidate {
  readonly trees: number;
  readonly max_leaf_nodes: number;
  readonly learning_rate: number;
  /** onnxruntime on the exported candidate, test split. */
  readonly test: SplitMetrics;
  /** test MAE / the reference's − 1. */
  readonly test_mae_vs_reference: number;
  /** 5-fold CV MAE on the training split; null where the rule did not need it. */
  readonly cv_mae: number | null;
  readonly qualifies: boolean | null;
  /** The deterministic cost proxy, read from the exported model. */
  readonly tree_walk: {
    readonly trees: number;
    readonly nodes: number;
    readonly max_depth: number;
    /** Decision nodes the tree walk evaluates per ride, mean over the test rides. */
    readonly decisions_per_ride: number;
  };
}

/** How the served ensemble was chosen among lighter candidates, by a deterministic cost proxy. */
export interface InferenceCost {
  /** Candidate names (`n100_l31`: 100 trees of at most 31 leaves). */
  readonly reference: string;
  readonly served: string;
  readonly rule: string;
  readonly bounds: { readonly test_mae: number; readonly cv_mae: number };
  readonly proxy: string;
  readonly served_vs_reference: {
    readonly decisions_per_ride: number;
    readonly nodes: number;
    readonly test_mae: number;
  };
  /** Where the microseconds per ride are measured (not in the reproducible card). */
  readonly us_per_ride: string;
  readonly candidates: Readonly<Record<string, CostCandidate>>;
}

/**
 * A model card (`model.json`, written by `models/train/train.py`): what the model
 * predicts, from which features, trained on what, how good it is, and the sha256 of the
 * `model.onnx` it describes.
 */
export interface ModelCard {
  /** `duration`, `cost` or `tip`. */
  readonly name: string;
  /** Semantic version of the model. */
  readonly version: string;
  readonly target: { readonly name: string; readonly unit: string; readonly description: string };
  /** Ordered input feature names (the columns of the ONNX input). */
  readonly features: readonly string[];
  /** The feature spec the features come from, repo-relative, and its sha256. */
  readonly feature_spec: { readonly file: string; readonly sha256: string };
  readonly training_data: {
    readonly file: string;
    readonly sha256: string;
    readonly rows: number;
    readonly train_rows: number;
    readonly train_rows_after_cleaning: number;
    readonly test_rows: number;
    readonly cleaning: string;
  };
  readonly split: { readonly method: string; readonly seed: number; readonly test_fraction: number };
  readonly metrics: {
    readonly test: SplitMetrics;
    readonly baselines: {
      readonly training_mean: SplitMetrics & { readonly prediction: number };
      readonly distance_linear: SplitMetrics & {
        readonly intercept: number;
        readonly slope_per_mile: number;
      };
    };
    readonly mae_reduction_vs_distance_baseline: number;
    readonly onnx_vs_sklearn_max_abs_diff: number;
  };
  readonly family: {
    readonly chosen: string;
    readonly selection: string;
    readonly candidates: Readonly<Record<string, FamilyReport>>;
  };
  /** Lighter candidates of a chosen tree ensemble; only a note for a linear model. */
  readonly inference_cost?: InferenceCost | { readonly note: string };
  readonly onnx: {
    readonly file: string;
    readonly input: { readonly name: string; readonly dtype: string; readonly shape: readonly (number | null)[] };
    readonly output: { readonly name: string; readonly dtype: string; readonly shape: readonly (number | null)[] };
    readonly opset: Readonly<Record<string, number>>;
    /**
     * The graph's prediction interval outputs (model versions from 2.0.0): lower and upper
     * bounds ([N, 1] float32 each, lower ≤ point ≤ upper) and the quantiles they estimate.
     */
    readonly interval?: {
      readonly lower: { readonly name: string; readonly quantile: number };
      readonly upper: { readonly name: string; readonly quantile: number };
    };
  };
  /** Hex sha256 of `model.onnx`; the runner refuses a file that does not match. */
  readonly sha256: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Checks the fields of a parsed `model.json` that the runner relies on.
 * @throws FleetError FLEET_MODEL_LOAD_FAILED naming the file and the bad field.
 */
export function parseModelCard(json: unknown, source = 'model.json'): ModelCard {
  const card = json as Partial<ModelCard> | null;
  const bad = (field: string): FleetError =>
    new FleetError('FLEET_MODEL_LOAD_FAILED', `model card ${source}: ${field} is missing or invalid`, {
      context: { file: source, field },
    });
  if (card === null || typeof card !== 'object') throw bad('the document');
  if (typeof card.name !== 'string' || card.name === '') throw bad('name');
  if (typeof card.version !== 'string' || card.version === '') throw bad('version');
  if (!Array.isArray(card.features) || card.features.length === 0) throw bad('features');
  if (typeof card.sha256 !== 'string' || !SHA256.test(card.sha256)) throw bad('sha256');
  if (typeof card.onnx?.input?.name !== 'string') throw bad('onnx.input.name');
  if (typeof card.onnx.output?.name !== 'string') throw bad('onnx.output.name');
  if (typeof card.feature_spec?.sha256 !== 'string') throw bad('feature_spec.sha256');
  const interval = card.onnx.interval;
  if (interval !== undefined && (typeof interval.lower?.name !== 'string' || typeof interval.upper?.name !== 'string'))
    throw bad('onnx.interval');
  return card as ModelCard;
}
