import { backfillTopic, FleetError, loadSchema, valueSubject } from '@fleet/contract';
import {
  createLogger,
  createRegistry,
  fleetTopics,
  fleetTopicSpecs,
  registryConnection,
  type AdminClient,
  type PartitionOffset,
} from '@fleet/core';
import { createModelProcess } from '@fleet/scoring';
import { isoInstant, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { cliConfig } from '../config.js';
import { modelArgs, modelsDir } from '../lifecycle/model-args.js';
import { versionGroup } from '../lifecycle/shadow-group.js';
import { withAdmin } from '../ops-context.js';
import { modelEnv } from '../procs/instances.js';
import { createProgress } from '../progress.js';

const usage = `Usage: npx fleet backfill <model> <version> --from <ISO time> [--topic T]

Re-scores the rides of the rides topic from <ISO time> at least up to its end as it is
when the command starts (rides arriving meanwhile may be scored too) with <version> of
<model>, into a separate topic, for offline comparison. The live groups are not touched:
the backfill reads in a consumer group of its own (<prefix>.<model>.backfill-<version>) and
commits as it goes, so an interrupted backfill (Ctrl-C, a crash) resumes where it stopped
when the same command runs again (--from only matters the first time; a different one is
ignored, with a warning). Progress is printed as it goes.

  --from T     the first ride at or after T (e.g. 2026-11-25T10:00:00Z)
  --topic T    where the predictions go (default: <predictions topic>.backfill); not one
               of the fleet's own topics
  -h, --help   this help`;

/** The rides left between committed offsets and the end offsets. */
function remaining(committed: readonly PartitionOffset[], end: readonly PartitionOffset[]): number {
  const at = new Map(committed.map((p) => [p.partition, Number(p.offset)]));
  return end.reduce((sum, p) => sum + Math.max(0, Number(p.offset) - Math.max(0, at.get(p.partition) ?? 0)), 0);
}

/** Sets the group at `--from` the first time; resumes from its committed offsets after. */
async function startOffsets(admin: AdminClient, group: string, topic: string, from: string | undefined) {
  const committed = await admin.fetchCommittedOffsets(group, topic);
  if (committed.some((p) => Number(p.offset) >= 0)) {
    if (from !== undefined) console.error(`fleet backfill: resuming ${group} where it stopped; --from ${from} ignored`);
    return { resumed: true, committed };
  }
  if (from === undefined) {
    throw new FleetError('FLEET_INPUT_INVALID', `--from is required for a new backfill (${group})`);
  }
  const offsets = await admin.fetchOffsetsByTime(topic, isoInstant(from, 'from'));
  await admin.setGroupOffsets(group, topic, offsets);
  return { resumed: false, committed: offsets };
}

async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { from: { type: 'string' }, topic: { type: 'string' } }, true);
  const { model, version } = modelArgs(positionals, true);
  const config = cliConfig();
  const group = versionGroup(model, 'backfill', version);
  const topic = values.topic ?? backfillTopic(config.topicPredictions);
  // Re-scored history on the live predictions topic would be decided again as new rides.
  if (fleetTopicSpecs(fleetTopics(config), 1).some((spec) => spec.topic === topic)) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `--topic ${topic} is one of the fleet's own topics; a backfill writes to a topic of its own ` +
        `(the default is ${backfillTopic(config.topicPredictions)})`,
    );
  }
  if (values.from !== undefined) isoInstant(values.from, 'from'); // a bad time creates nothing
  const progress = createProgress();
  const plan = await withAdmin(async (admin) => {
    // The start first: a new backfill without --from is refused before it creates anything.
    const start = await startOffsets(admin, group, config.topicRides, values.from);
    if (!(await admin.listTopics()).includes(topic)) {
      const partitions = (await admin.fetchEndOffsets(config.topicRides)).length;
      await admin.createTopics([{ topic, partitions, replicationFactor: config.topicReplicationFactor }]);
      // Its schema too, as `fleet init` registers the fleet's: the scoring process, which may
      // run as the model's own principal, then only reads the registry.
      await createRegistry(registryConnection(config)).register(valueSubject(topic), loadSchema('prediction'));
    }
    const end = await admin.fetchEndOffsets(config.topicRides);
    return { ...start, end, total: remaining(start.committed, end) };
  });
  const what = `${model} ${version} → ${topic}`;
  if (plan.total === 0) {
    console.log(`backfill ${what}: nothing left to score (group ${group})`);
    return 0;
  }
  progress.done(`backfill ${what}: ${plan.total} rides to score${plan.resumed ? ' (resuming)' : ''}`);
  const proc = await createModelProcess(
    { model },
    {
      env: { GROUP_ID: group, ...modelEnv(version, 'live'), MODELS_DIR: modelsDir() ?? '', TOPIC_PREDICTIONS: topic },
      logger: createLogger({ service: `backfill-${model}`, level: 'error' }),
    },
  );
  let interrupted = false;
  const interrupt = () => (interrupted = true);
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const started = Date.now();
  try {
    await proc.service.start();
    // A refusal the service cannot get past (an ACL on --topic, say) ends the wait at once.
    const failed = proc.service.failed;
    failed.catch(() => undefined); // raced below; handled there, not an unhandled rejection
    await withAdmin(async (admin) => {
      for (;;) {
        const left = remaining(await admin.fetchCommittedOffsets(group, config.topicRides), plan.end);
        const done = plan.total - left;
        progress.update(`backfill ${what}: ${done}/${plan.total} rides (${((done / plan.total) * 100).toFixed(1)} %)`);
        if (left === 0 || interrupted) return;
        await Promise.race([new Promise((resolve) => setTimeout(resolve, 500)), failed]);
      }
    });
  } finally {
    await proc.stop();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  if (interrupted) {
    progress.done(`backfill ${what}: interrupted; run the same command again to resume`);
    return 130;
  }
  progress.done(`backfill ${what}: ${plan.total} rides scored in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

/** `fleet backfill`. */
export const backfillCommand: Command = {
  name: 'backfill',
  summary: 're-score history with a model version into a separate topic (resumable)',
  usage,
  run,
};
