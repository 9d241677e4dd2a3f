import { fleetProcess, processParts, type FleetProcess, type ProcessOverrides } from '@fleet/core';
import { decisionEnv, type DecisionConfig } from './env.js';
import { createDecisionService } from './service.js';
import type { RideDecision } from './types.js';

/** What a caller may replace in a decision process, beyond the common {@link ProcessOverrides}. */
export interface DecisionProcessOverrides extends ProcessOverrides {
  /** Observes each decision once the broker acknowledged it. */
  onDecision?: (decision: RideDecision) => void;
}

/**
 * The one composition of the decision-service process, used by its `main`, the tests, the
 * fault suite, the bench and the demo. Nothing is started: call `run()` (as `main`) or
 * `service.start()`.
 */
export async function createDecisionProcess(
  overrides: DecisionProcessOverrides = {},
): Promise<FleetProcess<DecisionConfig>> {
  const parts = processParts('decision', decisionEnv, overrides);
  const service = await createDecisionService(parts.config, {
    kafka: parts.kafka,
    registry: parts.registry,
    logger: parts.logger,
    metrics: parts.metrics,
    clock: parts.clock,
    tracing: parts.tracing,
    onDecision: overrides.onDecision,
  });
  return fleetProcess(parts, service);
}
