/**
 * The README's ACL table (section `acls`), from the one source `npx fleet init --acls`
 * applies: `fleetAcls` of @fleet/contract on the default topic names and group prefix.
 */
import {
  ADMIN_PRINCIPAL,
  fleetAcls,
  PRINCIPALS_WITHOUT_ACLS,
  SERVICE_PRINCIPALS,
  type AclOperation,
  type AclRule,
} from '@fleet/contract';
import { aclTopics, cliEnv } from '@fleet/cli';
import { commonEnv } from '@fleet/core';
import { markdown, table } from './sections.js';

/** The fleet's topics under their default names (`TOPIC_*` unset). */
export function defaultTopics() {
  return aclTopics({
    rides: commonEnv.topicRides.default as string,
    predictions: commonEnv.topicPredictions.default as string,
    decisions: commonEnv.topicDecisions.default as string,
    completed: commonEnv.topicCompleted.default as string,
    health: commonEnv.topicModelHealth.default as string,
  });
}

function resources(rules: AclRule[], operation: AclOperation): string {
  const named = (r: AclRule) => `${r.resource} \`${r.name}${r.pattern === 'prefixed' ? '*' : ''}\``;
  return rules
    .filter((r) => r.operations.includes(operation))
    .map(named)
    .join(', ');
}

/** The prefix of the services' groups under which the table is written: `FLEET_GROUP_PREFIX` unset. */
export const DEFAULT_GROUP_PREFIX = cliEnv.groupPrefix.default as string;

/** The ACL table as markdown: one row per principal, the admin and the principals without ACLs included. */
export async function aclTable(): Promise<string> {
  const rules = fleetAcls(defaultTopics(), DEFAULT_GROUP_PREFIX);
  const rows = SERVICE_PRINCIPALS.map((principal) => {
    const own = rules.filter((r) => r.principal === principal);
    const cells = (['READ', 'WRITE', 'DELETE'] as const).map((op) => resources(own, op) || '–');
    return [`\`${principal}\``, ...cells, PRINCIPALS_WITHOUT_ACLS[principal] ?? ''];
  });
  rows.push([
    `\`${ADMIN_PRINCIPAL}\``,
    '–',
    '–',
    '–',
    'super user: `fleet init` (topics, ACLs); no service runs as it',
  ]);
  return markdown(table(['principal', 'READ', 'WRITE', 'DELETE', 'notes'], rows));
}
