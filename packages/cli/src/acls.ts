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

/** The fleet's ACL rules (`@fleet/contract`'s `fleetAcls`) as bindings: one per principal, resource and operation. */
export function fleetAclBindings(topics: FleetTopics): AclBinding[] {
  return fleetAcls(aclTopics(topics)).flatMap((rule) =>
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

/** What {@link applyAcls} changed. */
export interface AclChanges {
  readonly created: AclBinding[];
  readonly deleted: AclBinding[];
  /** The fleet principals' ACLs now on the cluster (equal to the source). */
  readonly total: number;
}

const FLEET_PRINCIPALS = new Set(SERVICE_PRINCIPALS.map((p) => `User:${p}`));

/** The ACLs of the fleet's principals on the cluster; ACLs of other principals are none of the fleet's business. */
async function fleetAclsOnCluster(admin: Required<AdminClient>): Promise<AclBinding[]> {
  return (await admin.describeAcls()).filter((b) => FLEET_PRINCIPALS.has(b.principal));
}

/**
 * Makes the ACLs of the fleet's principals exactly {@link fleetAclBindings}: creates the
 * missing ones, deletes any other ACL of those principals (a grant someone added by hand),
 * leaves other principals' ACLs alone, and waits until the broker lists exactly that.
 * Idempotent. Needs an administrator (DESCRIBE and ALTER on the cluster).
 */
export async function applyAcls(admin: AdminClient, topics: FleetTopics): Promise<AclChanges> {
  if (!admin.describeAcls || !admin.createAcls || !admin.deleteAcls)
    throw new FleetError('FLEET_INPUT_INVALID', '--acls needs a Kafka client that manages ACLs (KAFKA_CLIENT=kafkajs)');
  const acl = admin as Required<AdminClient>;
  const want = fleetAclBindings(topics);
  const wanted = new Set(want.map(aclLine));
  const current = await fleetAclsOnCluster(acl);
  const present = new Set(current.map(aclLine));
  const created = want.filter((b) => !present.has(aclLine(b)));
  const deleted = current.filter((b) => !wanted.has(aclLine(b)));
  await acl.createAcls(created);
  await acl.deleteAcls(deleted);
  // The broker applies ACL changes through its metadata log: listed a moment later.
  await retry(
    async () => {
      const now = new Set((await fleetAclsOnCluster(acl)).map(aclLine));
      if (now.size !== wanted.size || [...wanted].some((line) => !now.has(line)))
        throw new FleetError('FLEET_KAFKA_UNAVAILABLE', 'the broker does not list the fleet ACLs yet');
    },
    { retries: 10, initialDelayMs: 100, maxDelayMs: 2000 },
  );
  return { created, deleted, total: want.length };
}
