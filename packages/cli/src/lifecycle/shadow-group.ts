import type { AdminClient } from '@fleet/core';
import { cliConfig } from '../config.js';
import { groupOf } from '../launcher/index.js';
import type { ModelName } from '@fleet/contract';
import { versionEnv } from './rollout.js';

/**
 * The consumer group of a shadow or a backfill of `model` at `version`:
 * `<prefix>.<model>.<kind>-<version>`, beside the live group `<prefix>.<model>` (one ACL
 * prefix covers them).
 */
export function versionGroup(model: ModelName, kind: 'shadow' | 'backfill', version: string): string {
  return `${groupOf(model, cliConfig().groupPrefix)}.${kind}-${version}`;
}

/**
 * Positions a new shadow group where the model's live group stands (else at the end of
 * the topic), not at its beginning: the shadow scores the rides the live version scores
 * from now on. A group with offsets already (a shadow restarted) keeps them.
 */
export async function positionShadowGroup(admin: AdminClient, model: ModelName, version: string): Promise<string> {
  const group = versionGroup(model, 'shadow', version);
  const topic = cliConfig().topicRides;
  const own = await admin.fetchCommittedOffsets(group, topic);
  if (own.some((p) => Number(p.offset) >= 0)) return group;
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
  ...versionEnv(version),
  SHADOW: 'true',
});
