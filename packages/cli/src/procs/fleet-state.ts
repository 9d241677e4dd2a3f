import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_DIR } from './instances.js';

/** What `fleet up` remembers about the broker and registry it uses. */
export interface StackRecord {
  brokers: string;
  registryUrl: string;
  /** `fleet up` started them, so `fleet down` stops them. */
  startedByUp: boolean;
}

const STACK_FILE = join(RUN_DIR, 'stack.json');

/** Records the stack `fleet up` uses. */
export function saveStack(record: StackRecord): void {
  mkdirSync(RUN_DIR, { recursive: true });
  writeFileSync(STACK_FILE, JSON.stringify(record, null, 2));
}

/** The stack `fleet up` recorded, or null when the fleet is not up. */
export function loadStack(): StackRecord | null {
  return existsSync(STACK_FILE) ? (JSON.parse(readFileSync(STACK_FILE, 'utf8')) as StackRecord) : null;
}

/** Forgets the recorded stack. */
export function clearStack(): void {
  rmSync(STACK_FILE, { force: true });
}

/** The environment of the service processes of a recorded stack. */
export function serviceEnv(stack: StackRecord): Record<string, string> {
  return { KAFKA_BROKERS: stack.brokers, SCHEMA_REGISTRY_URL: stack.registryUrl };
}
