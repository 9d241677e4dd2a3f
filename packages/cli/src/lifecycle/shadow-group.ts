import type { AdminClient } from '@fleet/core';
import { cliConfig } from '../config.js';
import { groupOf } from '../launcher/index.js';
import type { ModelName } from '@fleet/contract';

/** The consumer group of a shadow of `model` at `version`: `<prefix>.<model>.shadow-<version>`. */
export function shadowGroup(model: ModelName, version: string): string {
  return `${groupOf(model, cliConfig().groupPrefix)}.shadow-${version}`;
}

/**
 * Positions a new shadow group where the model's live group stands (else at the end of
 * the topic), not at its beginning: the shadow scores the rides the live version scores
 * from now on. A group with offsets already (a shadow restarted) keeps them.
 */
export async function positionShadowGroup(admin: AdminClient, model: ModelName, version: string): Promise<string> {
  const group = shadowGroup(model, version);
  const topic = cliConfig().topicRides;
  const own = await admin.fetchCommittedOffsets(group, topic);
  if (own.some((p) => Number(p.offset) >= 0)) return group;
  const live = await admin.fetchCommittedOffsets(groupOf(model, cliConfig().groupPrefix), topic);
  const from = live.some((p) => Number(p.offset) >= 0) ? live : await admin.fetchEndOffsets(topic);
  await admin.setGroupOffsets(group, topic, from);
  return group;
}

/** The environment of a shadow instance of `version` in `group`. */
export const shadowEnv = (group: string, version: string): Record<string, string> => ({
  GROUP_ID: group,
  MODEL_VERSION: version,
  SHADOW: 'true',
});
