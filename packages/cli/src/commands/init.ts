import { ADMIN_PRINCIPAL, FleetError, loadSchema, valueSubject, type SchemaName } from '@fleet/contract';
import {
  createKafkaClient,
  createLogger,
  createRegistry,
  ensureFleetTopics,
  fleetTopics,
  isAccessError,
  kafkaConnection,
  loadConfig,
  registryConnection,
  retry,
  SUBJECT_COMPATIBILITY,
  type Logger,
} from '@fleet/core';
import { aclLine, applyAcls, keptAclsReport, type AclChanges } from '../acls.js';
import { cliConfig, cliEnv, type CliConfig } from '../config.js';
import { MAX_PARTITIONS, parseCommandArgs, positiveInteger } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: npx fleet init [--partitions P] [--acls [--prune]] [--secure]

Prepares a cluster for the fleet: creates the topics that do not exist yet (ride_started,
predictions, ride_decisions, ride_completed, model_health and the dead-letter topics; names
from TOPIC_*), and registers
the Avro schemas under FULL_TRANSITIVE compatibility, so that services only need to read the
registry. Idempotent; waits for the broker and the registry to answer. Used by
docker-compose and before a first deployment.

  --partitions P  partitions of new topics (default TOPIC_PARTITIONS, 6)
  --acls          also grant the fleet's principals the README's minimal ACLs (README,
                  Security) for these TOPIC_* and FLEET_GROUP_PREFIX: missing ones created.
                  Any other ACL of theirs (another deployment's on this cluster, a grant
                  added by hand) is kept and listed on stderr. Needs an administrator's
                  credentials (KAFKA_SASL_*).
  --prune         with --acls: delete those other ACLs of the fleet's principals too, so
                  that theirs are exactly the rules; ACLs of other principals are left alone
  --secure        on the local secure broker (npx fleet infra up --secure), as its admin
                  user: KAFKA_* come from its state folder, the password never printed; the
                  broker and the local registry are started when they do not run
  -h, --help      this help`;

/** What `fleet init` does, for the command and for the tests that prepare a cluster. */
export interface InitOptions {
  readonly config: CliConfig;
  readonly partitions: number;
  readonly acls: boolean;
  /** With `acls`: delete the fleet principals' ACLs that the rules do not produce. @default false */
  readonly prune?: boolean;
  readonly logger: Logger;
  /** Receives the lines the command prints. */
  readonly print: (line: string) => void;
  /** Receives what the command says on stderr: the ACLs it kept. @default console.error */
  readonly warn?: (line: string) => void;
}

/** Creates the topics, registers the schemas and (with `acls`) applies the fleet's ACLs. */
export async function initCluster(options: InitOptions): Promise<AclChanges | undefined> {
  const { config, logger } = options;
  const topics = fleetTopics(config);
  const onRetry = (err: unknown, attempt: number, delayMs: number) =>
    logger.warn({ err, attempt, delayMs }, 'not ready, retrying');
  const kafka = createKafkaClient(kafkaConnection(config, 'init'), logger);
  const changes = await retry(
    async () => {
      const admin = await kafka.admin();
      try {
        await ensureFleetTopics(admin, topics, options.partitions, config.topicReplicationFactor);
        if (!options.acls) return undefined;
        return await applyAcls(admin, { topics, groupPrefix: config.groupPrefix, prune: options.prune });
      } finally {
        await admin.disconnect();
      }
    },
    // A refused credential or ACL will be refused again: only an unready broker is retried.
    { retries: 10, shouldRetry: (err) => !isAccessError(err), onRetry },
  );
  const registry = createRegistry(registryConnection(config));
  const subjects: Array<[string, SchemaName]> = [
    [topics.rides, 'ride_started'],
    [topics.predictions, 'prediction'],
    [topics.decisions, 'ride_decision'],
    [topics.completed, 'ride_completed'],
    [topics.health, 'model_health'],
  ];
  for (const [topic, schema] of subjects) {
    const id = await retry(() => registry.register(valueSubject(topic), loadSchema(schema)), { retries: 10, onRetry });
    options.print(`${valueSubject(topic)}: schema id ${id} (${SUBJECT_COMPATIBILITY})`);
  }
  options.print(`topics ready: ${Object.values(topics).join(', ')} (+ .dlq)`);
  if (changes) {
    for (const b of changes.created) options.print(`ACL created: ${aclLine(b)}`);
    for (const b of changes.deleted) options.print(`ACL deleted: ${aclLine(b)}`);
    options.print(`ACLs of the fleet's principals: ${changes.total}, as in README's Security section`);
    for (const line of keptAclsReport(changes.kept)) (options.warn ?? console.error)(line);
  }
  return changes;
}

/**
 * The configuration of `--secure`: the local secure broker as its admin, started if it does
 * not run, and the local stack's registry (or `SCHEMA_REGISTRY_URL`), started likewise.
 */
async function secureConfig(): Promise<CliConfig> {
  const infra = await import('@fleet/infra');
  const onProgress = (line: string) => console.error(`[infra] ${line}`);
  await infra.ensureSecureBroker({ onProgress });
  const registry = process.env.SCHEMA_REGISTRY_URL
    ? {}
    : { SCHEMA_REGISTRY_URL: (await infra.ensureStack({ onProgress })).registryUrl };
  return loadConfig(cliEnv, { ...process.env, ...registry, ...infra.secureClientEnv(ADMIN_PRINCIPAL) });
}

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    partitions: { type: 'string' },
    acls: { type: 'boolean' },
    prune: { type: 'boolean' },
    secure: { type: 'boolean' },
  });
  if (values.prune && !values.acls) throw new FleetError('FLEET_INPUT_INVALID', '--prune goes with --acls');
  const config = values.secure ? await secureConfig() : cliConfig();
  await initCluster({
    config,
    partitions: positiveInteger(values.partitions, 'partitions', MAX_PARTITIONS) ?? config.topicPartitions,
    acls: values.acls === true,
    prune: values.prune === true,
    logger: createLogger({ service: 'fleet-init', level: config.logLevel }),
    print: (line) => console.log(line),
  });
  return 0;
}

/** `fleet init`. */
export const initCommand: Command = {
  name: 'init',
  summary: 'create the topics, register the schemas (idempotent); --acls: the fleet ACLs',
  usage,
  run,
};
