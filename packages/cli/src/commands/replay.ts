import { FleetError, isModelName } from '@fleet/contract';
import { type AdminClient, type PartitionOffset } from '@fleet/core';
import { isoInstant, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { serviceGroups, table, withAdmin } from '../ops-context.js';
import { isStreamServiceName, SERVICE_NAMES } from '../launcher/index.js';

const usage = `Usage: npx fleet replay <service> (--from <ISO time> | --to-earliest | --to-latest)
                         [--dry-run] [--allow-skip] [--republish]

Moves the committed offsets of a stopped service's consumer group, so that it re-reads its
input from that point when it starts again, or skips ahead. Refuses while the group has
live members: stop the service first (npx fleet scale <service> 0).

Two moves are refused unless asked for:
- forward past records the group has not read yet (--from, --to-earliest): those rides
  would never be scored or decided. --to-latest skips on purpose; --allow-skip otherwise.
- back, for a model service: it publishes its predictions of those rides again to the live
  predictions topic. The decision service ignores those of rides it remembers deciding
  (DECISION_DEDUPE_TTL_MS, 30 min, by the instance that decided them) and may decide older
  ones again, degraded. To re-score history with a model version, use npx fleet backfill
  (a topic of its own); to publish them again anyway, --republish. Replaying the decision
  service back is safe: it reads back its past decisions first.

  <service>        ${SERVICE_NAMES.join(' | ')}
  --from T         the first record at or after T (ISO, with offset: 2026-11-25T10:00:00Z)
  --to-earliest    the start of each partition
  --to-latest      the end of each partition (skip everything not yet read)
  --dry-run        show the new offsets without moving them (also while the group is live)
  --allow-skip     move forward past records not read yet
  --republish      move a model service back (see above)
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
  return { kind: 'time', ms: isoInstant(values.from!, 'from') };
}

async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      from: { type: 'string' },
      'to-earliest': { type: 'boolean' },
      'to-latest': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'allow-skip': { type: 'boolean' },
      republish: { type: 'boolean' },
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
    if (members.length > 0 && !values['dry-run']) {
      console.error(
        `fleet replay: group ${group} has ${members.length} live member(s) (state ${state}); stop ${service} first: npx fleet scale ${service} 0`,
      );
      return 1;
    }
    // Every topic is planned, and checked, before any is moved.
    const plans: Array<{ topic: string; moves: Move[] }> = [];
    for (const { topic } of entries) {
      const targets =
        to.kind === 'latest'
          ? await admin.fetchEndOffsets(topic)
          : await admin.fetchOffsetsByTime(topic, to.kind === 'time' ? to.ms : 0);
      const committed = await admin.fetchCommittedOffsets(group, topic);
      const earliest = await admin.fetchOffsetsByTime(topic, 0);
      plans.push({ topic, moves: planMoves(targets, committed, earliest) });
    }
    for (const { topic, moves } of plans) {
      console.log(
        table(
          ['topic', 'partition', 'committed', 'new', 'records'],
          moves.map((m) => [topic, m.partition, m.committed ?? '-', m.offset, describeMove(m)]),
        ),
      );
    }
    const refusal = refuse(service, to.kind, plans, values);
    if (refusal) {
      console.error(`fleet replay: ${refusal}`);
      return values['dry-run'] ? 0 : 1;
    }
    if (values['dry-run']) return 0;
    for (const { topic, moves } of plans) {
      await admin.setGroupOffsets(
        group,
        topic,
        moves.map(({ partition, offset }) => ({ partition, offset })),
      );
      console.log(`moved ${group} on ${topic}; ${service} re-reads from there when it starts`);
    }
    // A member that joined meanwhile (an instance started, a restart policy) may have
    // committed over the move or kept partitions from it: said, not reported as done.
    const astray = await movesNotHeld(admin, group, plans);
    if (astray.length > 0) {
      console.error(
        `fleet replay: the group did not keep the move (${astray.join(', ')}); was ${service} started meanwhile? ` +
          `Stop it and run the replay again.`,
      );
      return 1;
    }
    return 0;
  });
}

/** The partitions whose committed offset is not the one moved to (`topic:partition`). */
async function movesNotHeld(
  admin: AdminClient,
  group: string,
  plans: ReadonlyArray<{ topic: string; moves: readonly Move[] }>,
): Promise<string[]> {
  const astray: string[] = [];
  for (const { topic, moves } of plans) {
    const committed = await admin.fetchCommittedOffsets(group, topic);
    for (const m of moves)
      if (committed.find((c) => c.partition === m.partition)?.offset !== m.offset)
        astray.push(`${topic}:${m.partition}`);
  }
  return astray;
}

/** One partition's move: from where the group would read next to the new offset. */
interface Move extends PartitionOffset {
  /** The committed offset, undefined when the group has none. */
  committed: string | undefined;
  /** Records the move skips (> 0) or reads again (< 0). */
  delta: bigint;
}

/**
 * The moves of one topic. The group would read next from its committed offset, or from the
 * partition's start (`earliest`) where it has none or retention deleted past it.
 */
export function planMoves(
  targets: readonly PartitionOffset[],
  committed: readonly PartitionOffset[],
  earliest: readonly PartitionOffset[],
): Move[] {
  const at = (list: readonly PartitionOffset[], p: number) => list.find((o) => o.partition === p)?.offset;
  const sorted = [...targets].sort((a, b) => a.partition - b.partition);
  return sorted.map(({ partition, offset }) => {
    const done = at(committed, partition);
    const has = done !== undefined && BigInt(done) >= 0n;
    const start = at(earliest, partition) ?? '0';
    const from = has && BigInt(done) > BigInt(start) ? done : start;
    return { partition, offset, committed: has ? done : undefined, delta: BigInt(offset) - BigInt(from) };
  });
}

function describeMove(m: Move): string {
  if (m.delta > 0n) return `skips ${m.delta}`;
  if (m.delta < 0n) return `reads ${-m.delta} again`;
  return '';
}

/** Why the planned moves are refused without the flag that asks for them, or undefined. */
export function refuse(
  service: string,
  kind: 'time' | 'earliest' | 'latest',
  plans: ReadonlyArray<{ topic: string; moves: readonly Move[] }>,
  flags: { 'allow-skip'?: boolean; republish?: boolean },
): string | undefined {
  const sum = (pick: (m: Move) => bigint) => plans.reduce((n, p) => n + p.moves.reduce((k, m) => k + pick(m), 0n), 0n);
  const skipped = sum((m) => (m.delta > 0n ? m.delta : 0n));
  if (skipped > 0n && kind !== 'latest' && !flags['allow-skip']) {
    return (
      `the move skips ${skipped} record(s) ${service} has not read yet: they would never be ` +
      `scored or decided. Choose an earlier --from, or add --allow-skip to skip them.`
    );
  }
  const again = sum((m) => (m.delta < 0n && m.committed !== undefined ? -m.delta : 0n));
  if (again > 0n && isModelName(service) && !flags.republish) {
    return (
      `the move makes ${service} publish ${again} prediction(s) again to the live predictions ` +
      `topic: the decision service may decide rides older than its dedupe memory again ` +
      `(degraded). To re-score history, use npx fleet backfill ${service} <version> --from T; ` +
      `to publish them again anyway, add --republish.`
    );
  }
  return undefined;
}

/** `fleet replay`. */
export const replayCommand: Command = {
  name: 'replay',
  summary: "move a stopped group's offsets to a time, the start or the end",
  usage,
  run,
};
