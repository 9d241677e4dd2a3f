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
