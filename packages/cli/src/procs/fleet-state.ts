import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cliConfig, recordedOverrides, stackFileIn, type RecordedEnv } from '../config.js';
import { groupOf, type ServiceName } from '../launcher/index.js';
import { runDir } from './instances.js';
import { writeWhole } from './write-whole.js';

/** What `fleet up` remembers about the broker and registry it uses. */
export interface StackRecord {
  brokers: string;
  registryUrl: string;
  /**
   * What of the local stack `fleet up` started, so `fleet down` stops them (unless another
   * run uses them then). `true` in records of older versions: both.
   */
  startedByUp: Array<'kafka' | 'registry'> | boolean;
  /** The fleet's configuration `fleet up` ran with (absent in records of older versions). */
  env?: RecordedEnv;
}

const stackFile = (): string => stackFileIn(cliConfig().stateDir);

/**
 * Records the stack `fleet up` uses, owner-only (0600): it holds the SHA-256 of the fleet's
 * passwords, which a guess can be checked against. Written whole (a temporary file renamed),
 * so a reader never sees half a record.
 */
export function saveStack(record: StackRecord): void {
  mkdirSync(runDir(), { recursive: true });
  writeWhole(stackFile(), JSON.stringify(record, null, 2), 0o600);
}

/** The stack `fleet up` recorded, or null when the fleet is not up. */
export function loadStack(): StackRecord | null {
  return existsSync(stackFile()) ? (JSON.parse(readFileSync(stackFile(), 'utf8')) as StackRecord) : null;
}

/** Forgets the recorded stack. */
export function clearStack(): void {
  rmSync(stackFile(), { force: true });
}

/**
 * The environment of one service's processes on a recorded stack: the configuration
 * `fleet up` ran with, whatever this shell exports ({@link recordedOverrides}).
 */
export function serviceEnv(stack: StackRecord, service: ServiceName): Record<string, string> {
  const recorded = stack.env ? recordedOverrides(stack.env, process.env) : {};
  return {
    ...recorded,
    KAFKA_BROKERS: stack.brokers,
    SCHEMA_REGISTRY_URL: stack.registryUrl,
    GROUP_ID: groupOf(service, recorded.FLEET_GROUP_PREFIX || cliConfig().groupPrefix),
  };
}
