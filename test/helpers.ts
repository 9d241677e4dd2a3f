import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { defaultModelsDir } from '@fleet/contract';
import {
  createKafkaClient,
  createLogger,
  kafkaClientKind,
  createRegistry,
  type AdminClient,
  type KafkaClient,
  type KafkaConnection,
  type Logger,
  type Registry,
} from '@fleet/core';

/**
 * A copy of the models directory (versions, manifest, feature spec; not the training
 * pipeline and its virtual environment) in a temp dir, for a test that edits the manifest
 * or a model file without touching the repository's.
 */
export function copyOfModels(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-models-'));
  const training = join(defaultModelsDir(), 'train');
  cpSync(defaultModelsDir(), dir, { recursive: true, filter: (src) => !src.startsWith(training) });
  return dir;
}

/** A unique name for a test's topic or group, so tests share one broker without colliding. */
export function randomName(prefix: string): string {
  return `test.${prefix}.${randomBytes(5).toString('hex')}`;
}

/** A logger that prints only errors (LOG_LEVEL overrides): tests provoke warnings on purpose. */
export function testLogger(service = 'test'): Logger {
  return createLogger({ service, level: process.env.LOG_LEVEL ?? 'error' });
}

/** Where the broker and registry of this run are (chosen once by the global setup). */
export function stack(): { brokers: string[]; registryUrl: string } {
  const { brokers, registryUrl } = inject('stack');
  return { brokers: brokers.split(','), registryUrl };
}

/**
 * A Kafka client on this run's broker, of the library `KAFKA_CLIENT` names (kafkajs by
 * default); `options` set the rest of the connection (e.g. `retries`).
 */
export function testKafka(clientId = 'test', options: Partial<KafkaConnection> = {}): KafkaClient {
  return createKafkaClient({ client: kafkaClientKind(), brokers: stack().brokers, clientId, ...options }, testLogger());
}

/** A registry client on this run's registry. */
export function testRegistry(): Registry {
  return createRegistry({ url: stack().registryUrl });
}

/** Creates topics with random names; `cleanup()` deletes them. */
export async function withTopics(
  admin: AdminClient,
  specs: Array<{ prefix: string; partitions?: number }>,
): Promise<{ names: string[]; cleanup: () => Promise<void> }> {
  const names = specs.map((s) => randomName(s.prefix));
  await admin.createTopics(names.map((topic, i) => ({ topic, partitions: specs[i].partitions ?? 1 })));
  return { names, cleanup: () => admin.deleteTopics(names) };
}

/** Polls `check` until it returns true or `timeoutMs` passes; throws with `what` on timeout. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
