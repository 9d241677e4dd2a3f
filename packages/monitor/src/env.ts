import { defaultModelsDir } from '@fleet/contract';
import { commonEnv, int, intList, num, serviceEnv, str, withDefault, type ConfigOf } from '@fleet/core';

/** Environment of the monitor service. */
export const monitorEnv = {
  ...commonEnv,
  ...serviceEnv,
  groupId: str('GROUP_ID', 'Consumer group of the service', 'fleet.monitor'),
  // Not on a ride's path: its figures cover minutes, so the broker gathers records for
  // each of its fetches, which costs the monitor and the broker far fewer round trips.
  fetchMinBytes: withDefault(serviceEnv.fetchMinBytes, 65_536),
  fetchMaxWaitMs: withDefault(serviceEnv.fetchMaxWaitMs, 500),
  modelsDir: str(
    'MONITOR_MODELS_DIR',
    'Directory of the model cards (<dir>/<model>/<version>/model.json) whose reference distributions drift is measured against',
    defaultModelsDir(),
  ),
  windowsSec: intList(
    'MONITOR_WINDOWS_SEC',
    'Sliding windows of the live accuracy and drift figures, seconds, comma-separated',
    [60, 900],
    1,
    86_400,
  ),
  psiWarning: num('MONITOR_PSI_WARNING', 'PSI from which a feature has drifted moderately (warning)', 0.1, 0),
  psiAlert: num('MONITOR_PSI_ALERT', 'PSI from which a feature has drifted significantly (alert)', 0.25, 0),
  minDriftRows: int(
    'MONITOR_MIN_DRIFT_ROWS',
    'Fewest values of a feature in a window for its PSI (on a few rides it is noise)',
    100,
    1,
  ),
  joinTtlMs: int(
    'MONITOR_JOIN_TTL_MS',
    "How long a ride's predictions wait for its outcome (and an outcome for its predictions)",
    10_800_000,
    1000,
  ),
  maxPendingRides: int(
    'MONITOR_MAX_PENDING_RIDES',
    'Most rides held while they wait for their outcome (about 1 KB of heap each, with three predictions); beyond, the oldest is dropped',
    500_000,
    100,
  ),
  publishIntervalMs: int(
    'MONITOR_PUBLISH_INTERVAL_MS',
    'How often one model_health record per model version and window is published',
    10_000,
    100,
  ),
} as const;

/** The parsed {@link monitorEnv}. */
export type MonitorConfig = ConfigOf<typeof monitorEnv>;
