import { commonEnv, loadConfig, str, type ConfigOf } from '@fleet/core';
import { infraEnv } from '@fleet/infra';

/** Environment the `fleet` CLI reads beyond what every process reads. */
export const cliEnv = {
  ...commonEnv,
  groupPrefix: str('FLEET_GROUP_PREFIX', 'Prefix of the consumer groups the CLI starts and inspects', 'fleet'),
  stateDir: infraEnv.stateDir,
  modelsDir: str(
    'MODELS_DIR',
    "Directory of the model versions and manifest.json (empty: the repository's models/); the model and online services the CLI starts read the same",
    '',
  ),
} as const;

/** The parsed {@link cliEnv}. */
export type CliConfig = ConfigOf<typeof cliEnv>;

/**
 * The CLI's configuration, parsed from the environment once per process (after the stack
 * is known: {@link acquireStack} sets `KAFKA_BROKERS` and `SCHEMA_REGISTRY_URL` first).
 */
export function cliConfig(): CliConfig {
  return (parsed ??= loadConfig(cliEnv));
}
let parsed: CliConfig | undefined;
