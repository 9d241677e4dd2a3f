import type { ModelServiceSpec } from '@fleet/scoring';

/**
 * The cost service: consumes `ride_started` in group `fleet.cost`, scores each fetched
 * batch with `models/cost` (what the rider is charged before tip (USD)), and publishes one `prediction` per ride to
 * `predictions`, keyed by ride_id. Topics, group and model directory can be overridden
 * from the environment (README, Configuration).
 */
export const costService: ModelServiceSpec = { model: 'cost' };
