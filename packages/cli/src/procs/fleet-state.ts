import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_DIR } from './instances.js';
import { groupOf, type ServiceName } from './services.js';

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

/** The environment of one service's processes on a recorded stack. */
export function serviceEnv(stack: StackRecord, service: ServiceName): Record<string, string> {
  const group = service === 'decision' ? 'DECISION_GROUP_ID' : 'GROUP_ID';
  return { KAFKA_BROKERS: stack.brokers, SCHEMA_REGISTRY_URL: stack.registryUrl, [group]: groupOf(service) };
}
