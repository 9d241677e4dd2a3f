/** Each served model's cost per ride (`inference.models`): its named figures and its lines of the printed table. */
import type { ModelCost } from './inference.js';
import { fixed, tableRow } from '../lib/table.js';

/** The flat named figures (for the JSON's `figures`). */
export function modelCostNamedFigures(models: readonly ModelCost[] | undefined): Record<string, number | undefined> {
  const f: Record<string, number | undefined> = {};
  for (const m of models ?? []) {
    f[`inference_${m.model}_us_per_ride_b${m.batch}`] = m.usPerRide;
    f[`model_${m.model}_decisions_per_ride`] = m.decisionsPerRide;
  }
  return f;
}

/** "n100_l31" → "100 trees ≤ 31 leaves"; other names as they are. */
export function candidateLabel(name: string | undefined): string {
  const m = name === undefined ? null : /^n(\d+)_l(\d+)$/.exec(name);
  return m ? `${Number(m[1])} trees ≤ ${Number(m[2])} leaves` : (name ?? '-');
}

/** Lines of the table the bench prints. */
export function modelCostTableLines(models: readonly ModelCost[]): string[] {
  if (models.length === 0) return [];
  const first = models[0];
  const lines = [
    `served models, 1 thread, batch ${first.batch} (${first.reps} reps)  µs/ride med      min–max  decisions/ride  ref decisions`,
  ];
  for (const m of models) {
    lines.push(
      tableRow(
        `${m.model}: ${candidateLabel(m.served)}`,
        fixed(m.usPerRide, 2),
        `${fixed(m.usPerRideMin, 2)}–${fixed(m.usPerRideMax, 2)}`,
        fixed(m.decisionsPerRide),
        fixed(m.referenceDecisionsPerRide),
      ),
    );
  }
  return lines;
}
