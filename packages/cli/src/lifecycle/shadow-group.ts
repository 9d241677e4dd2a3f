import type { AdminClient } from '@fleet/core';
import { cliConfig } from '../config.js';
import { groupOf } from '../launcher/index.js';
import { FleetError, type ModelName } from '@fleet/contract';
import { modelEnv } from '../procs/instances.js';

/**
 * The consumer group of a shadow or a backfill of `model` at `version`:
 * `<prefix>.<model>.<kind>-<version>`, beside the live group `<prefix>.<model>` (one ACL
 * prefix covers them).
 */
export function versionGroup(model: ModelName, kind: 'shadow' | 'backfill', version: string): string {
  return `${groupOf(model, cliConfig().groupPrefix)}.${kind}-${version}`;
}

/**
 * Positions the shadow group of a shadow about to start (none of its instances running)
 * where the model's live group stands (else at the end of the topic), not at its
 * beginning: the shadow scores the rides the live version scores from now on. Offsets
 * from an earlier shadow of the version are replaced: resuming from them would re-score
 * every ride since it stopped (days of rides, after a `--stop`) into the predictions
 * topic, where the decision service and the monitor read through them.
 */
export async function positionShadowGroup(admin: AdminClient, model: ModelName, version: string): Promise<string> {
  const group = versionGroup(model, 'shadow', version);
  const topic = cliConfig().topicRides;
  const { members } = await admin.describeGroup(group);
  if (members.length > 0) {
    throw new FleetError(
      'FLEET_INPUT_INVALID',
      `group ${group} still has ${members.length} member(s) (${members.map((m) => m.clientId).join(', ')}): ` +
        `a shadow of ${model} ${version} runs elsewhere, or one that ended without leaving is still counted ` +
        `until its session times out; stop it (npx fleet shadow ${model} --stop) or try again in a minute`,
    );
  }
  const live = new Map(
    (await admin.fetchCommittedOffsets(groupOf(model, cliConfig().groupPrefix), topic)).map((p) => [p.partition, p]),
  );
  // A partition the live group has not committed on yet starts at its end.
  const from = (await admin.fetchEndOffsets(topic)).map((end) => {
    const at = live.get(end.partition);
    return at && Number(at.offset) >= 0 ? at : end;
  });
  await admin.setGroupOffsets(group, topic, from);
  return group;
}

/** The environment of a shadow instance of `version` in `group`. */
export const shadowEnv = (group: string, version: string): Record<string, string> => ({
  GROUP_ID: group,
  ...modelEnv(version, 'shadow'),
});
