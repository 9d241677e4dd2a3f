import type { ModelServiceSpec } from '@fleet/scoring';

/**
 * The duration service: consumes `ride_started` in group `fleet.duration`, scores each fetched
 * batch with `models/duration` (minutes from pickup to dropoff), and publishes one `prediction` per ride to
 * `predictions`, keyed by ride_id. Topics, group and model directory can be overridden
 * from the environment (README, Configuration).
 */
export const durationService: ModelServiceSpec = { model: 'duration' };
