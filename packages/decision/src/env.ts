import { commonEnv, int, serviceEnv, str, type ConfigOf } from '@fleet/core';

/** Environment of the decision service. */
export const decisionEnv = {
  ...commonEnv,
  ...serviceEnv,
  groupId: str('GROUP_ID', 'Consumer group of the service', 'fleet.decision'),
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
