/**
 * Targets judged on figures that may not have been measured. Such a figure is NaN in a run
 * and null in its JSON (JSON has no NaN), and JavaScript compares null as 0: `null <= 25`
 * holds. So a target is judged only when every figure it compares is a finite number, and a
 * sum of named parts is a number only when each part is.
 */

/** Whether `x` is a measured figure: a finite number (not undefined, null, NaN or ±Infinity). */
export function isMeasured(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** A target in a run: met, not met, or not measured (a figure it compares is missing). */
export type Outcome = 'met' | 'not met' | 'not measured';

/**
 * `ok`, the comparison of `figures` with the target, as an outcome: "not measured" instead
 * unless every one of `figures` was measured ({@link isMeasured}).
 */
export function outcome(figures: ReadonlyArray<unknown>, ok: boolean): Outcome {
  if (!figures.every(isMeasured)) return 'not measured';
  return ok ? 'met' : 'not met';
}

/**
 * The sum of the figures `names` in `figures`, in that order; NaN unless each was measured,
 * so that a part without a figure (a process not metered) never makes the total look lower.
 */
export function totalOf(figures: Readonly<Record<string, number>>, names: ReadonlyArray<string>): number {
  if (!names.every((name) => isMeasured(figures[name]))) return Number.NaN;
  return names.reduce((sum, name) => sum + figures[name], 0);
}
