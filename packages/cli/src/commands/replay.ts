import { FleetError } from '@fleet/contract';
import { type PartitionOffset } from '@fleet/core';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { serviceGroups, table, withAdmin } from '../ops-context.js';
import { isStreamServiceName, SERVICE_NAMES } from '../launcher/index.js';

const usage = `Usage: npx fleet replay <service> (--from <ISO time> | --to-earliest | --to-latest) [--dry-run]

Moves the committed offsets of a stopped service's consumer group, so that it re-reads its
input from that point when it starts again (re-score history with a new model version),
or skips ahead. Refuses while the group has live members: stop the service first
(npx fleet scale <service> 0).

  <service>        ${SERVICE_NAMES.join(' | ')}
  --from T         the first record at or after T (e.g. 2026-11-25T10:00:00Z)
  --to-earliest    the start of each partition
  --to-latest      the end of each partition (skip everything not yet read)
  --dry-run        show the new offsets without moving them
  -h, --help       this help`;

function target(values: {
  from?: string;
  'to-earliest'?: boolean;
  'to-latest'?: boolean;
}): { kind: 'time'; ms: number } | { kind: 'earliest' | 'latest' } {
  const chosen = [values.from !== undefined, values['to-earliest'] === true, values['to-latest'] === true].filter(
    Boolean,
  ).length;
  if (chosen !== 1)
    throw new FleetError('FLEET_INPUT_INVALID', 'give exactly one of --from, --to-earliest, --to-latest');
  if (values['to-earliest']) return { kind: 'earliest' };
  if (values['to-latest']) return { kind: 'latest' };
  const ms = Date.parse(values.from!);
  if (Number.isNaN(ms)) throw new FleetError('FLEET_INPUT_INVALID', `--from "${values.from}" is not an ISO date-time`);
  return { kind: 'time', ms };
}

async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      from: { type: 'string' },
      'to-earliest': { type: 'boolean' },
      'to-latest': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    },
    true,
  );
  const service = positionals[0];
  if (positionals.length !== 1 || !isStreamServiceName(service)) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `expected one service (${SERVICE_NAMES.join(', ')}), got ${JSON.stringify(positionals)}`,
    );
  }
  const to = target(values);
  return withAdmin(async (admin, config) => {
    // One group; the monitor's reads several topics, each moved alike.
    const entries = serviceGroups(config).filter((g) => g.service === service);
    const { group } = entries[0];
    const { state, members } = await admin.describeGroup(group);
    if (members.length > 0) {
      console.error(
        `fleet replay: group ${group} has ${members.length} live member(s) (state ${state}); stop ${service} first: npx fleet scale ${service} 0`,
      );
      return 1;
    }
    for (const { topic } of entries) {
      let offsets: PartitionOffset[];
      if (to.kind === 'latest') offsets = await admin.fetchEndOffsets(topic);
      else offsets = await admin.fetchOffsetsByTime(topic, to.kind === 'time' ? to.ms : 0);
      const before = new Map((await admin.fetchCommittedOffsets(group, topic)).map((o) => [o.partition, o.offset]));
      console.log(
        table(
          ['topic', 'partition', 'committed', 'new'],
          offsets.map((o) => [topic, o.partition, before.get(o.partition) ?? '-', o.offset]),
        ),
      );
      if (values['dry-run']) continue;
      await admin.setGroupOffsets(group, topic, offsets);
      console.log(`moved ${group} on ${topic}; ${service} re-reads from there when it starts`);
    }
    return 0;
  });
}

/** `fleet replay`. */
export const replayCommand: Command = {
  name: 'replay',
  summary: "move a stopped group's offsets to a time, the start or the end",
  usage,
  run,
};
