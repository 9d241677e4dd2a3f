import { ensureFleetTopics, fleetTopics } from '@fleet/core';
import { MAX_PARTITIONS, parseCommandArgs, positiveInteger } from '../args.js';
import type { Command } from '../command.js';
import { SERVICE_NAMES, waitReady, type ReadyTarget } from '../launcher/index.js';
import { recordEnv } from '../config.js';
import { withAdmin } from '../ops-context.js';
import { saveStack, serviceEnv } from '../procs/fleet-state.js';
import { listInstances, startInstance } from '../procs/instances.js';
import { createProgress } from '../progress.js';
import { acquireStack, FLEET_UP_HOLDER } from '../stack.js';

const usage = `Usage: npx fleet up [--partitions P] [--online [--online-port P]]

Starts the fleet in the background: the local broker and registry when KAFKA_BROKERS and
SCHEMA_REGISTRY_URL are not set, the topics, and one instance of each service (duration,
cost, tip, decision, monitor) unless it already runs. Logs go to .fleet/logs/<service>-<n>.log.
Then: npx fleet status · npx fleet scale <service> <n> · npx fleet lag · npx fleet down

  --partitions P   partitions of topics that do not exist yet (default TOPIC_PARTITIONS, 6)
  --online         also start the online service (HTTP quotes, Open Inference Protocol v2)
  --online-port P  its port (default ONLINE_PORT, else 8080)

Topic names, partitions and replication factor come from TOPIC_* like \`fleet init\`.
  -h, --help      this help`;

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    partitions: { type: 'string' },
    online: { type: 'boolean', default: false },
    'online-port': { type: 'string' },
  });
  // Every flag is checked before anything starts.
  const partitions = positiveInteger(values.partitions, 'partitions', MAX_PARTITIONS);
  const onlinePort = positiveInteger(values['online-port'], 'online-port', 65_535);
  const progress = createProgress();
  // Held until fleet down, which stops what it started unless another run uses it then.
  const stack = await acquireStack((line) => progress.update(line), FLEET_UP_HOLDER);
  progress.done(`broker ${stack.brokers} · registry ${stack.registryUrl}`);
  const record = {
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    startedByUp: stack.components,
    env: recordEnv(process.env),
  };
  saveStack(record);
  await withAdmin((admin, config) =>
    ensureFleetTopics(admin, fleetTopics(config), partitions ?? config.topicPartitions, config.topicReplicationFactor),
  );
  const targets: Record<string, ReadyTarget> = {};
  for (const service of SERVICE_NAMES) {
    if (listInstances(service).length > 0) continue;
    const instance = await startInstance(service, serviceEnv(record, service));
    targets[`${service}-${instance.index}`] = instance;
  }
  if (values.online && listInstances('online').length === 0) {
    const port = onlinePort ?? Number(process.env.ONLINE_PORT || 8080);
    const instance = await startInstance('online', serviceEnv(record, 'online'), { port });
    targets[`online-${instance.index}`] = instance;
  }
  await waitReady(targets, 120_000, (pending) => progress.update(`waiting for ${pending.join(', ')} to be ready`));
  progress.done(
    `fleet up: ${listInstances()
      .map((i) => `${i.service}-${i.index}`)
      .join(', ')}`,
  );
  for (const online of listInstances('online'))
    progress.done(`online-${online.index}: http://127.0.0.1:${online.port}/v1/quote`);
  return 0;
}

/** `fleet up`. */
export const upCommand: Command = {
  name: 'up',
  summary: 'start the fleet in the background (local stack if none is configured)',
  usage,
  run,
};
