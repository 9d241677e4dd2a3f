import type { ModelServiceSpec } from '@fleet/scoring';

/**
 * The tip service: consumes `ride_started` in group `fleet.tip`, scores each fetched
 * batch with `models/tip` (the tip (USD)), and publishes one `prediction` per ride to
 * `predictions`, keyed by ride_id. Topics, group and model directory can be overridden
 * from the environment (README, Configuration).
 */
export const tipService: ModelServiceSpec = { model: 'tip' };
