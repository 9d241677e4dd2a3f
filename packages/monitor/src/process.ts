import { FleetError, type ModelHealthRecord } from '@fleet/contract';
import { fleetProcess, processParts, type FleetProcess, type ProcessOverrides } from '@fleet/core';
import { loadKnownVersions } from './cards.js';
import { monitorEnv, type MonitorConfig } from './env.js';
import { createMonitorService, type MonitorService } from './service.js';

/** What a caller may replace in a monitor process, beyond the common {@link ProcessOverrides}. */
export interface MonitorProcessOverrides extends ProcessOverrides {
  /** Observes each group of model_health records once the broker acknowledged it. */
  onHealth?: (records: readonly ModelHealthRecord[]) => void;
}

/** A composed monitor process. */
export interface MonitorProcess extends FleetProcess<MonitorConfig> {
  readonly service: MonitorService;
}

/**
 * The one composition of the monitor process, used by its `main`, the tests, the demo and
 * the bench: reads the environment, the model cards and their reference distributions, and
 * builds the service. Nothing is started: call `run()` (as `main`) or `service.start()`.
 * @throws FleetError FLEET_CONFIG_INVALID when the alert threshold is below the warning one.
 */
export async function createMonitorProcess(overrides: MonitorProcessOverrides = {}): Promise<MonitorProcess> {
  const parts = processParts('monitor', monitorEnv, overrides);
  const { config } = parts;
  if (config.psiAlert < config.psiWarning) {
    throw new FleetError(
      'FLEET_CONFIG_INVALID',
      `MONITOR_PSI_ALERT (${config.psiAlert}) is below MONITOR_PSI_WARNING (${config.psiWarning})`,
      { context: { variable: 'MONITOR_PSI_ALERT' } },
    );
  }
  const known = loadKnownVersions(config.modelsDir);
  parts.logger.info(
    { versions: known.map((k) => `${k.model}@${k.version}${k.reference ? '' : ' (no reference)'}`) },
    'model cards read',
  );
  const service = await createMonitorService(config, {
    kafka: parts.kafka,
    registry: parts.registry,
    logger: parts.logger,
    known,
    metrics: parts.metrics,
    clock: parts.clock,
    tracing: parts.tracing,
    onHealth: overrides.onHealth,
  });
  return { ...fleetProcess(parts, service), service };
}
