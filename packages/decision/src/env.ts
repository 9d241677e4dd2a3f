import { commonEnv, int, str, type ConfigOf } from '@fleet/core';

/** Environment of the decision service. */
export const decisionEnv = {
  ...commonEnv,
  groupId: str('DECISION_GROUP_ID', 'Consumer group of the decision service', 'fleet.decision'),
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
    'Clock-skew margin when re-reading past decisions after a restart or rebalance',
    60_000,
    0,
  ),
  sessionTimeoutMs: int('KAFKA_SESSION_TIMEOUT_MS', 'Consumer group session timeout', 30_000, 6000, 300_000),
  metricsPort: int(
    'METRICS_PORT',
    'HTTP port of /metrics, /healthz and /readyz (0 picks a free port, logged at start)',
    0,
    0,
    65535,
  ),
  shutdownGraceMs: int('SHUTDOWN_GRACE_MS', 'Time to finish the batch, commit and disconnect on SIGTERM', 20_000, 0),
} as const;

/** The parsed {@link decisionEnv}. */
export type DecisionConfig = ConfigOf<typeof decisionEnv>;
