/**
 * What every bench stage shares: the broker and registry (the local stack, or the one
 * named by KAFKA_BROKERS / SCHEMA_REGISTRY_URL), a Kafka client through the fleet's seam,
 * the registry, real ride templates, and random topic names that are deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRideCsv, type RideStarted } from '@fleet/contract';
import {
  createKafkaClient,
  createLogger,
  kafkaClientKind,
  createRegistry,
  type AdminClient,
  type KafkaClient,
  type KafkaClientKind,
  type Logger,
  type Registry,
} from '@fleet/core';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Shared state of one bench run. */
export interface BenchContext {
  readonly runId: string;
  readonly quick: boolean;
  readonly brokers: string;
  readonly registryUrl: string;
  /** The seam's client of the library `KAFKA_CLIENT` names (kafkajs by default). */
  readonly kafka: KafkaClient;
  /** A seam client of the library `kind`, on the same broker (one per kind, reused). */
  clientOf(kind: KafkaClientKind): KafkaClient;
  readonly admin: AdminClient;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Real rides (models/data/test_rides.csv) to cycle through. */
  readonly templates: RideStarted[];
  /** A fresh topic name `bench.<run>.<name>`, remembered for deletion. */
  topic(name: string): string;
  /** A fresh group id `bench.<run>.<name>`. */
  group(name: string): string;
  /** Creates topics (6 partitions unless told) and remembers them for deletion. */
  createTopics(names: string[], partitions?: number): Promise<void>;
  /** Progress line on stderr. */
  say(line: string): void;
  /** Deletes every topic this run created, disconnects, stops the stack if this run started it. */
  close(): Promise<void>;
}

/** Connects to the broker and registry and loads the ride templates. */
export async function createContext(quick: boolean): Promise<BenchContext> {
  const say = (line: string): void => console.error(`[bench] ${line}`);
  let brokers = process.env.KAFKA_BROKERS;
  let registryUrl = process.env.SCHEMA_REGISTRY_URL;
  let stopStack: (() => Promise<unknown>) | undefined;
  if (!brokers || !registryUrl) {
    const infra = await import('@fleet/infra');
    const stack = await infra.ensureStack({ onProgress: (line) => say(line), hold: true });
    brokers = stack.brokers;
    registryUrl = stack.registryUrl;
    // Stops what it started, unless FLEET_KEEP_STACK or another run uses the stack then.
    const started = process.env.FLEET_KEEP_STACK ? [] : stack.started;
    stopStack = () => infra.releaseStack(started, true);
  }
  const runId = randomBytes(3).toString('hex');
  const logger = createLogger({ service: 'bench', level: process.env.LOG_LEVEL ?? 'error' });
  const clients = new Map<KafkaClientKind, KafkaClient>();
  const clientOf = (kind: KafkaClientKind): KafkaClient => {
    let client = clients.get(kind);
    if (!client) {
      client = createKafkaClient({ client: kind, brokers: brokers.split(','), clientId: `bench-${runId}` }, logger);
      clients.set(kind, client);
    }
    return client;
  };
  const kafka = clientOf(kafkaClientKind());
  const admin = await kafka.admin();
  const registry = createRegistry({ url: registryUrl });
  const { rows } = await loadRideCsv(join(REPO_ROOT, 'models', 'data', 'test_rides.csv'));
  const templates = rows.filter((r) => r.ok).map((r) => r.ride);
  const created: string[] = [];
  return {
    runId,
    quick,
    brokers,
    registryUrl,
    kafka,
    clientOf,
    admin,
    registry,
    logger,
    templates,
    topic: (name) => `bench.${runId}.${name}`,
    group: (name) => `bench.${runId}.${name}`,
    async createTopics(names, partitions = 6) {
      await admin.createTopics(names.map((topic) => ({ topic, partitions })));
      created.push(...names);
    },
    say,
    async close() {
      if (created.length > 0) await admin.deleteTopics(created).catch((err: unknown) => say(`delete topics: ${err}`));
      await admin.disconnect();
      await stopStack?.();
    },
  };
}
