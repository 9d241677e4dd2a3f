import { commonEnv, int, serviceEnv, str, withDefault, type ConfigOf } from '@fleet/core';

/**
 * Default `KAFKA_FETCH_MIN_BYTES` of the decision service: more than two predictions'
 * worth and no more than three's, for ride ids of two characters to about 25 (a
 * prediction of a 17-character id, alone in its batch, is 146 to 158 bytes on the log,
 * two bytes more or less per character).
 */
export const DECISION_FETCH_MIN_BYTES = 350;

/** Environment of the decision service. */
export const decisionEnv = {
  ...commonEnv,
  ...serviceEnv,
  groupId: str('GROUP_ID', 'Consumer group of the service', 'fleet.decision'),
  // A ride is decided once its third prediction is in, so the broker may hold a fetch
  // until about three predictions have come: fewer round trips per ride. A ride whose
  // predictions come together waits nothing for it, the third one's arrival filling the
  // fetch; one whose last prediction misses a fetch waits for the next to arrive (or the
  // fetch's wait).
  fetchMinBytes: withDefault(serviceEnv.fetchMinBytes, DECISION_FETCH_MIN_BYTES),
  joinTimeoutMs: int(
    'DECISION_JOIN_TIMEOUT_MS',
    'How long a ride waits for all three predictions before a degraded decision',
    5000,
    10,
    3_600_000,
  ),
  decidedTtlMs: int(
    'DECISION_DEDUPE_TTL_MS',
    'How long a decided ride is remembered to ignore duplicate and late predictions',
    1_800_000,
    1000,
  ),
  restoreMarginMs: int(
    'DECISION_RESTORE_MARGIN_MS',
    'How long before the first re-read prediction past decisions are read back after a restart or rebalance (clock skew, late predictions)',
    60_000,
    0,
  ),
} as const;

/** The parsed {@link decisionEnv}. */
export type DecisionConfig = ConfigOf<typeof decisionEnv>;
