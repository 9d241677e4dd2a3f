import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '@fleet/contract';
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
 * While a fleet is up and neither of those two is set, it is the configuration `fleet up`
 * ran with: `fleet lag`, `replay` or `init` in another shell reach the same cluster, topics
 * and groups as the fleet.
 */
export function cliConfig(): CliConfig {
  return (parsed ??= loadConfig(cliEnv, withRecordedFleet(process.env)));
}
let parsed: CliConfig | undefined;

/** Where `fleet up` records the stack and configuration it runs with. */
export const stackFileIn = (stateDir: string): string => join(stateDir, 'run', 'stack.json');

/**
 * The variables of the fleet's configuration `fleet up` records, so that instances started
 * later (`fleet scale`, `promote`, `shadow`) and the CLI's commands in another shell use
 * the same cluster, topics and groups whatever that shell exports.
 */
const FLEET_VARIABLE = /^(KAFKA_|TOPIC_|SCHEMA_REGISTRY_|FLEET_GROUP_PREFIX$|MODELS_DIR$)/;

/** Variables recorded as a hash only: never written to disk, only checked. */
const SECRET_VARIABLE = /PASSWORD|SECRET|TOKEN/;

/** The fleet's configuration as `fleet up` ran with it. */
export interface RecordedEnv {
  /** Every fleet variable set then, but the secrets. */
  values: Record<string, string>;
  /** SHA-256 of each secret set then. */
  secrets: Record<string, string>;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The fleet variables of `env`, for `fleet up`'s record. */
export function recordEnv(env: NodeJS.ProcessEnv): RecordedEnv {
  const recorded: RecordedEnv = { values: {}, secrets: {} };
  for (const [name, value] of Object.entries(env)) {
    if (!FLEET_VARIABLE.test(name) || value === undefined || value === '') continue;
    if (SECRET_VARIABLE.test(name)) recorded.secrets[name] = sha256(value);
    else recorded.values[name] = value;
  }
  return recorded;
}

/**
 * The environment an instance started now gets beyond this shell's: the recorded values,
 * and '' (unset) for fleet variables this shell sets that were not set then. Throws when a
 * secret differs from the one `fleet up` ran with (it cannot be recorded).
 */
export function recordedOverrides(recorded: RecordedEnv, env: NodeJS.ProcessEnv): Record<string, string> {
  const differ = Object.entries(recorded.secrets)
    .filter(([name, hash]) => sha256(env[name] ?? '') !== hash)
    .map(([name]) => name);
  const added = Object.keys(env).filter(
    (name) => FLEET_VARIABLE.test(name) && !SECRET_VARIABLE.test(name) && env[name] && !(name in recorded.values),
  );
  const addedSecrets = Object.keys(env).filter(
    (name) => FLEET_VARIABLE.test(name) && SECRET_VARIABLE.test(name) && env[name] && !(name in recorded.secrets),
  );
  if (differ.length + addedSecrets.length > 0) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `${[...differ, ...addedSecrets].join(', ')} differ from what fleet up ran with; export the same (or restart the fleet: npx fleet down, npx fleet up)`,
    );
  }
  return { ...Object.fromEntries(added.map((name) => [name, ''])), ...recorded.values };
}

/** `env` with the recorded fleet's configuration when a fleet is up and `env` names no cluster. */
export function withRecordedFleet(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.KAFKA_BROKERS || env.SCHEMA_REGISTRY_URL) return env;
  const file = stackFileIn(loadConfig({ stateDir: infraEnv.stateDir }, env).stateDir);
  if (!existsSync(file)) return env;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as {
      brokers: string;
      registryUrl: string;
      env?: RecordedEnv;
    };
    const overrides = record.env ? recordedOverrides(record.env, env) : {};
    return { ...env, ...overrides, KAFKA_BROKERS: record.brokers, SCHEMA_REGISTRY_URL: record.registryUrl };
  } catch (err) {
    if (err instanceof FleetError) throw err;
    return env; // a record that cannot be read: the fleet's own commands say so
  }
}
