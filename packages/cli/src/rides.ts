import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError, loadRideCsv, REPO_ROOT, type RideOutcome, type RideStarted } from '@fleet/contract';

/**
 * Real rides the models never saw in training: the test split written by the training
 * pipeline (`models/data/test_rides.csv`, the dataset's CSV format).
 */
export const DEMO_RIDES_CSV = join(REPO_ROOT, 'models', 'data', 'test_rides.csv');

/** The demo's template rides and what actually happened on each. */
export async function loadDemoRides(
  path = DEMO_RIDES_CSV,
): Promise<{ templates: RideStarted[]; actuals: RideOutcome[] }> {
  if (!existsSync(path)) {
    throw new FleetError('FLEET_INPUT_INVALID', `${path} is missing: run \`npm run train\` to write the test split`);
  }
  const { rows } = await loadRideCsv(path);
  const templates: RideStarted[] = [];
  const actuals: RideOutcome[] = [];
  for (const row of rows) {
    if (row.ok && row.outcome) {
      templates.push(row.ride);
      actuals.push(row.outcome);
    }
  }
  return { templates, actuals };
}

/** How `fleet demo --drift` shifts the rides: every estimated distance this many times longer. */
export const DRIFT_DISTANCE_FACTOR = 1.5;

/**
 * The rides with a deliberate shift, for the monitor to flag: every distance ×
 * {@link DRIFT_DISTANCE_FACTOR} (capped at the contract's 200 miles). What happened on them
 * stays what it was, so the models' errors grow as well.
 */
export function driftedRides(templates: readonly RideStarted[]): RideStarted[] {
  return templates.map((r) => ({
    ...r,
    estimated_distance_miles: Math.min(200, r.estimated_distance_miles * DRIFT_DISTANCE_FACTOR),
  }));
}
