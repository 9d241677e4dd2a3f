import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliConfig } from '../config.js';
import { groupOf, type ServiceName } from '../launcher/index.js';
import { runDir } from './instances.js';

/** What `fleet up` remembers about the broker and registry it uses. */
export interface StackRecord {
  brokers: string;
  registryUrl: string;
  /**
   * What of the local stack `fleet up` started, so `fleet down` stops them (unless another
   * run uses them then). `true` in records of older versions: both.
   */
  startedByUp: Array<'kafka' | 'registry'> | boolean;
}

const stackFile = (): string => join(runDir(), 'stack.json');

/** Records the stack `fleet up` uses. */
export function saveStack(record: StackRecord): void {
  mkdirSync(runDir(), { recursive: true });
  writeFileSync(stackFile(), JSON.stringify(record, null, 2));
}

/** The stack `fleet up` recorded, or null when the fleet is not up. */
export function loadStack(): StackRecord | null {
  return existsSync(stackFile()) ? (JSON.parse(readFileSync(stackFile(), 'utf8')) as StackRecord) : null;
}

/** Forgets the recorded stack. */
export function clearStack(): void {
  rmSync(stackFile(), { force: true });
}

/** The environment of one service's processes on a recorded stack. */
export function serviceEnv(stack: StackRecord, service: ServiceName): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.brokers,
    SCHEMA_REGISTRY_URL: stack.registryUrl,
    GROUP_ID: groupOf(service, cliConfig().groupPrefix),
  };
}
