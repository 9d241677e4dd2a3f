import { randomUUID } from 'node:crypto';
import {
  buildFeatures,
  FleetError,
  MODEL_NAMES,
  rideFieldProblem,
  rideOfQuote,
  type ModelName,
  type QuoteRide,
  type RideQuote,
  type RideStarted,
} from '@fleet/contract';
import type { Clock, ModelOutputs } from '@fleet/core';
import { decide, estimateRange, quotedRanges, type EstimateRange } from '@fleet/decision';
import type { Admission } from './admission.js';
import type { MicroBatcher } from './batcher.js';
import type { OnlineModels, QuoteOutputs } from './models.js';

/** What answers a request: quotes of rides, or a model's raw output for feature rows. */
export interface Scoring {
  /**
   * Quotes `inputs`, in order: each ride validated by the contract's rules, the three
   * models called through the quotes' micro-batcher, then the decision rules.
   * @throws FleetError FLEET_VALIDATION_FAILED naming `field` (with `rides[i].` for a list),
   *   FLEET_OVERLOADED when the queue is full, FLEET_MODEL_NON_FINITE_OUTPUT.
   */
  quote(inputs: readonly QuoteRide[], list: boolean): Promise<RideQuote[]>;
  /** One model's values for `rows` feature rows (the Open Inference Protocol's infer). */
  infer(model: ModelName, features: Float32Array, rows: number): Promise<Float64Array>;
}

/** The micro-batchers scoring goes through. */
export interface Batchers {
  /** One per model: the Open Inference Protocol's infer. */
  readonly byModel: Readonly<Record<ModelName, MicroBatcher>>;
  /** Quotes: each call scores its rows with the three models (one request, one place in a batch). */
  readonly quotes: MicroBatcher<QuoteOutputs>;
}

/** What {@link createScoring} is built from. */
export interface ScoringDeps {
  models: OnlineModels;
  batchers: Batchers;
  admission: Admission;
  clock: Clock;
}

function rides(inputs: readonly QuoteRide[], list: boolean, now: number): RideStarted[] {
  return inputs.map((input, i) => {
    const ride = rideOfQuote(input, now, () => `quote-${randomUUID()}`);
    const problem = rideFieldProblem(ride, now);
    if (problem) {
      const at = list ? `rides[${i}].` : '';
      throw new FleetError('FLEET_VALIDATION_FAILED', `${at}${problem.message}`, {
        context: { field: `${at}${problem.field}` },
      });
    }
    return ride;
  });
}

/** One ride's row of each model's outputs. */
type RowOutputs = Record<ModelName, { value: number; range: EstimateRange | null }>;

function rowOf(outputs: ModelOutputs, i: number): RowOutputs[ModelName] {
  const { value, lower, upper } = outputs;
  return { value: value[i], range: estimateRange(lower?.[i], upper?.[i]) };
}

function quoteOf(ride: RideStarted, row: RowOutputs, versions: Record<string, string>, now: number) {
  const values = { duration: row.duration.value, cost: row.cost.value, tip: row.tip.value };
  for (const model of MODEL_NAMES) {
    if (!Number.isFinite(values[model])) {
      throw new FleetError(
        'FLEET_MODEL_NON_FINITE_OUTPUT',
        `model ${model} returned ${values[model]} for ride ${ride.ride_id}`,
        {
          context: { model, ride_id: ride.ride_id },
        },
      );
    }
  }
  const estimates = { duration_min: values.duration, cost_usd: values.cost, tip_usd: values.tip };
  const outcome = decide(estimates);
  const quote: RideQuote = {
    ride_id: ride.ride_id,
    ...estimates,
    fare_quote_usd: outcome.fare_quote_usd!,
    eta_minutes: outcome.eta_minutes!,
    priority: outcome.priority,
    model_versions: versions,
    quoted_at: now,
    ...quotedRanges({ duration: row.duration.range, cost: row.cost.range }),
  };
  return quote;
}

/** The online service's scoring: admission, features, micro-batched models, decision rules. */
export function createScoring(deps: ScoringDeps): Scoring {
  const { models, batchers, admission } = deps;
  const versions = Object.fromEntries(MODEL_NAMES.map((m) => [m, models.byName[m].version]));

  async function admitted<T>(rows: number, work: () => Promise<T>): Promise<T> {
    const release = admission.admit(rows);
    try {
      return await work();
    } finally {
      release();
    }
  }

  return {
    async quote(inputs, list) {
      const now = deps.clock();
      const valid = rides(inputs, list, now);
      return admitted(valid.length, async () => {
        const features = buildFeatures(models.spec, valid);
        const { duration, cost, tip } = await batchers.quotes.submit(features, valid.length);
        const at = deps.clock();
        return valid.map((ride, i) =>
          quoteOf(ride, { duration: rowOf(duration, i), cost: rowOf(cost, i), tip: rowOf(tip, i) }, versions, at),
        );
      });
    },
    infer: (model, features, rows) =>
      admitted(rows, async () => (await batchers.byModel[model].submit(features, rows)).value),
  };
}
