/**
 * Who may do what on the fleet's cluster: the one source of the fleet's Kafka principals
 * and their minimal ACLs. `npx fleet init --acls` applies these rules, the local secure
 * broker (`npx fleet infra up --secure`) creates one SCRAM user per principal, and the
 * README's ACL table is generated from them (`npm run docs`).
 */

/** The principal of each service: one SASL user each, named like the service. */
export const SERVICE_PRINCIPALS = ['duration', 'cost', 'tip', 'decision', 'backend', 'monitor', 'online'] as const;

/** One of {@link SERVICE_PRINCIPALS}. */
export type ServicePrincipal = (typeof SERVICE_PRINCIPALS)[number];

/** The administrator: a super user of the cluster (creates topics, applies the ACLs); no service runs as it. */
export const ADMIN_PRINCIPAL = 'admin';

/**
 * Operations granted on a resource. READ and WRITE imply DESCRIBE in Kafka; WRITE on any
 * topic also lets an idempotent producer get its producer id (KIP-679), so no rule grants
 * IDEMPOTENT_WRITE on the cluster.
 */
export type AclOperation = 'READ' | 'WRITE' | 'DELETE';

/** One rule: `principal` may do `operations` on the topic or group `name` (or every name starting with it). */
export interface AclRule {
  readonly principal: ServicePrincipal;
  readonly resource: 'topic' | 'group';
  readonly name: string;
  /** `prefixed`: every name that starts with `name`. */
  readonly pattern: 'literal' | 'prefixed';
  readonly operations: readonly AclOperation[];
  /** Why the principal needs it, for the README. */
  readonly why: string;
}

/** The topics the rules name (from `TOPIC_*`), with their dead-letter topics. */
export interface AclTopics {
  readonly rides: string;
  readonly predictions: string;
  readonly decisions: string;
  readonly ridesDlq: string;
  readonly predictionsDlq: string;
  /** Outcomes of the rides (`TOPIC_COMPLETED`): the backend writes them, the monitor reads them. */
  readonly completed?: string;
  /** Dead-letter topic of `completed`: outcomes the monitor cannot decode or validate. */
  readonly completedDlq?: string;
  /** The monitor's `model_health` records (`TOPIC_MODEL_HEALTH`). */
  readonly health?: string;
}

/** Where `fleet backfill` writes the predictions it re-scores, by default: `<predictions>.backfill`. */
export function backfillTopic(predictions: string): string {
  return `${predictions}.backfill`;
}

/** Group prefix of the decision service's read-back readers (`readPartition` in core's Kafka seam). */
export const READER_GROUP_PREFIX = 'fleet.reader.';

/** Group prefix of the backend's decision listeners (one fresh group per listener). */
export const BACKEND_GROUP_PREFIX = 'fleet.backend.';

/**
 * Principals with no ACL at all, and why: the broker's authorizer denies them everything
 * (deny by default). Their users exist so that a service can be given rules when it needs them.
 */
export const PRINCIPALS_WITHOUT_ACLS: Readonly<Partial<Record<ServicePrincipal, string>>> = {
  online: 'reads and writes no topic: it answers over HTTP',
};

function modelRules(model: 'duration' | 'cost' | 'tip', t: AclTopics, groupPrefix: string): AclRule[] {
  return [
    rule(model, 'group', `${groupPrefix}.${model}`, ['READ'], 'its consumer group'),
    rule(
      model,
      'group',
      `${groupPrefix}.${model}.`,
      ['READ'],
      'the groups of its shadows and backfills (fleet shadow, fleet backfill)',
      'prefixed',
    ),
    rule(model, 'topic', t.rides, ['READ'], 'the rides it scores'),
    rule(model, 'topic', t.predictions, ['WRITE'], "its predictions (a shadow's too)"),
    rule(model, 'topic', backfillTopic(t.predictions), ['WRITE'], 'predictions re-scored by fleet backfill'),
    rule(model, 'topic', t.ridesDlq, ['WRITE'], 'rides it cannot decode or score'),
  ];
}

/**
 * The minimal ACLs of the fleet on `topics`: every principal gets exactly what its service
 * reads and writes, nothing on the cluster, and no DELETE but the decision service's on its
 * own throw-away reader groups. The services' groups are `<groupPrefix>.<service>` (and
 * their shadows' and backfills' under it), as the CLI names them from `FLEET_GROUP_PREFIX`
 * (`fleet` by default, the Kubernetes overlays' `GROUP_ID`s); the readers' and the
 * backend's groups have fixed prefixes of their own.
 */
export function fleetAcls(topics: AclTopics, groupPrefix: string): AclRule[] {
  return [
    ...modelRules('duration', topics, groupPrefix),
    ...modelRules('cost', topics, groupPrefix),
    ...modelRules('tip', topics, groupPrefix),
    rule('decision', 'group', `${groupPrefix}.decision`, ['READ'], 'its consumer group'),
    rule('decision', 'topic', topics.predictions, ['READ'], 'the predictions it joins'),
    rule('decision', 'topic', topics.decisions, ['READ', 'WRITE'], 'its decisions, read back after a restart'),
    rule('decision', 'topic', topics.predictionsDlq, ['WRITE'], 'predictions it cannot decode'),
    rule(
      'decision',
      'group',
      READER_GROUP_PREFIX,
      ['READ', 'DELETE'],
      'the read-back readers, deleted after use',
      'prefixed',
    ),
    rule('backend', 'topic', topics.rides, ['WRITE'], 'the rides it publishes'),
    rule('backend', 'topic', topics.decisions, ['READ'], 'the decisions it acts on'),
    rule('backend', 'group', BACKEND_GROUP_PREFIX, ['READ'], 'its decision listeners', 'prefixed'),
    ...(topics.completed ? [rule('backend', 'topic', topics.completed, ['WRITE'], 'how each ride really ended')] : []),
    ...monitorRules(topics, groupPrefix),
  ];
}

function monitorRules(t: AclTopics, groupPrefix: string): AclRule[] {
  if (!t.completed || !t.health) return [];
  return [
    rule('monitor', 'group', `${groupPrefix}.monitor`, ['READ'], 'its consumer group'),
    rule('monitor', 'topic', t.rides, ['READ'], 'the inputs it watches for drift'),
    rule('monitor', 'topic', t.predictions, ['READ'], 'the predictions it judges'),
    rule('monitor', 'topic', t.completed, ['READ'], 'the outcomes it judges them by'),
    rule('monitor', 'topic', t.health, ['WRITE'], 'its model_health records'),
    ...(t.completedDlq
      ? [rule('monitor', 'topic', t.completedDlq, ['WRITE'], 'outcomes it cannot decode or validate')]
      : []),
  ];
}

function rule(
  principal: ServicePrincipal,
  resource: AclRule['resource'],
  name: string,
  operations: AclOperation[],
  why: string,
  pattern: AclRule['pattern'] = 'literal',
): AclRule {
  return { principal, resource, name, pattern, operations, why };
}
