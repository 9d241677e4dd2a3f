import { FleetError, fleetAcls, SERVICE_PRINCIPALS, type AclTopics } from '@fleet/contract';
import { dlqTopic, retry, type AclBinding, type AdminClient, type FleetTopics } from '@fleet/core';

/** The topics the ACL rules name: the fleet's, with their dead-letter topics. */
export function aclTopics(topics: FleetTopics): AclTopics {
  return {
    ...topics,
    ridesDlq: dlqTopic(topics.rides),
    predictionsDlq: dlqTopic(topics.predictions),
    ...(topics.completed ? { completedDlq: dlqTopic(topics.completed) } : {}),
  };
}

/**
 * The fleet's ACL rules (`@fleet/contract`'s `fleetAcls`) as bindings: one per principal,
 * resource and operation, for the services' groups under `groupPrefix` (`FLEET_GROUP_PREFIX`).
 */
export function fleetAclBindings(topics: FleetTopics, groupPrefix: string): AclBinding[] {
  return fleetAcls(aclTopics(topics), groupPrefix).flatMap((rule) =>
    rule.operations.map((operation): AclBinding => ({
      principal: `User:${rule.principal}`,
      resourceType: rule.resource === 'topic' ? 'TOPIC' : 'GROUP',
      resourceName: rule.name,
      patternType: rule.pattern === 'literal' ? 'LITERAL' : 'PREFIXED',
      operation,
      permission: 'ALLOW',
    })),
  );
}

/** A binding as one line: `User:tip ALLOW WRITE TOPIC:LITERAL:predictions` (Kafka's own order). */
export function aclLine(b: AclBinding): string {
  return `${b.principal} ${b.permission} ${b.operation} ${b.resourceType}:${b.patternType}:${b.resourceName}`;
}

/** What {@link applyAcls} applies: the names the rules are written for, and whether to delete the rest. */
export interface AclOptions {
  /** The fleet's topics (`TOPIC_*`). */
  readonly topics: FleetTopics;
  /** `FLEET_GROUP_PREFIX`: the services' groups are `<prefix>.<service>`. */
  readonly groupPrefix: string;
  /**
   * Also delete the fleet principals' ACLs that the rules do not produce (`--prune`).
   * @default false: they are kept and returned as {@link AclChanges.kept}
   */
  readonly prune?: boolean;
}

/** What {@link applyAcls} changed. */
export interface AclChanges {
  readonly created: AclBinding[];
  readonly deleted: AclBinding[];
  /** ACLs of the fleet's principals that the rules do not produce, left in place (without `prune`). */
  readonly kept: AclBinding[];
  /** The fleet principals' ACLs of the rules, now on the cluster. */
  readonly total: number;
}

const FLEET_PRINCIPALS = new Set(SERVICE_PRINCIPALS.map((p) => `User:${p}`));

/** The ACLs of the fleet's principals on the cluster; ACLs of other principals are none of the fleet's business. */
async function fleetAclsOnCluster(admin: Required<AdminClient>): Promise<AclBinding[]> {
  return (await admin.describeAcls()).filter((b) => FLEET_PRINCIPALS.has(b.principal));
}

/**
 * Creates the missing ACLs of {@link fleetAclBindings} and waits until the broker lists
 * them. The fleet principals' other ACLs (another deployment's on a shared cluster, one
 * with other `TOPIC_*` or `FLEET_GROUP_PREFIX`, or a grant added by hand) are deleted only
 * with `prune`, which makes those principals' ACLs exactly the rules; other principals'
 * ACLs are left alone. Idempotent. Needs an administrator (DESCRIBE and ALTER on the cluster).
 */
export async function applyAcls(admin: AdminClient, options: AclOptions): Promise<AclChanges> {
  if (!admin.describeAcls || !admin.createAcls || !admin.deleteAcls)
    throw new FleetError('FLEET_INPUT_INVALID', '--acls needs a Kafka client that manages ACLs (KAFKA_CLIENT=kafkajs)');
  const acl = admin as Required<AdminClient>;
  const want = fleetAclBindings(options.topics, options.groupPrefix);
  const wanted = new Set(want.map(aclLine));
  const current = await fleetAclsOnCluster(acl);
  const present = new Set(current.map(aclLine));
  const created = want.filter((b) => !present.has(aclLine(b)));
  const strays = current.filter((b) => !wanted.has(aclLine(b)));
  const deleted = options.prune ? strays : [];
  await acl.createAcls(created);
  await acl.deleteAcls(deleted);
  // The broker applies ACL changes through its metadata log: listed a moment later.
  await retry(
    async () => {
      const now = new Set((await fleetAclsOnCluster(acl)).map(aclLine));
      const listed = [...wanted].every((line) => now.has(line)) && (!options.prune || now.size === wanted.size);
      if (!listed) throw new FleetError('FLEET_KAFKA_UNAVAILABLE', 'the broker does not list the fleet ACLs yet');
    },
    { retries: 10, initialDelayMs: 100, maxDelayMs: 2000 },
  );
  return { created, deleted, kept: options.prune ? [] : strays, total: want.length };
}

/**
 * What `fleet init --acls` says on stderr of the ACLs it kept: each one, which `--prune`
 * would delete, and how to delete them. None when it kept none.
 */
export function keptAclsReport(kept: readonly AclBinding[]): string[] {
  if (kept.length === 0) return [];
  return [
    ...kept.map((b) => `ACL kept, not in the rules: ${aclLine(b)}`),
    `fleet init: ${kept.length} ACL(s) of the fleet's principals above are not among the rules for this ` +
      "environment's TOPIC_* and FLEET_GROUP_PREFIX (another deployment's on this cluster, or granted by hand), " +
      'and were kept. If they are stray, delete them: npx fleet init --acls --prune, in this environment ' +
      '(or one at a time: kafka-acls.sh --remove)',
  ];
}
