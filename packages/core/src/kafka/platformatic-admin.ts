import { ListOffsetTimestamps, type Admin } from '@platformatic/kafka';
import { FleetError } from '@fleet/contract';
import { retry } from '../retry.js';
import { platformaticAcls } from './platformatic-acls.js';
import { rangesSince } from './offsets-since.js';
import { hasApiError, translated } from './platformatic-errors.js';
import type { AdminClient, GroupMember, PartitionOffset, TopicSpec } from './types.js';

/**
 * Like the kafkajs admin, every call meets a broker that may not be ready (partitions
 * without a leader right after a topic is created, a coordinator still loading) and goes
 * through the one retry helper; the library's own retries are off for the admin, so a
 * failing call is retried in one place only.
 */
const ADMIN_RETRY = { initialDelayMs: 100, maxDelayMs: 2000 } as const;

/** The group states as Kafka's Java client and kafkajs spell them (the library upper-cases them). */
const GROUP_STATES: Record<string, string> = {
  STABLE: 'Stable',
  EMPTY: 'Empty',
  DEAD: 'Dead',
  PREPARING_REBALANCE: 'PreparingRebalance',
  COMPLETING_REBALANCE: 'CompletingRebalance',
};

/** A group state of the library as the seam reports it (`Stable`, `Empty`, `Dead`, ...). */
export function groupState(state: string | undefined): string {
  return state === undefined ? 'Dead' : (GROUP_STATES[state] ?? state);
}

/** `-1` where the broker knows no offset, else the offset as a string. */
const offsetString = (offset: bigint): string => (offset < 0n ? '-1' : offset.toString());

/** Wraps a @platformatic/kafka admin as the seam's {@link AdminClient}, every call retried `retries` times. */
export function createPlatformaticAdmin(admin: Admin, retries = 8, user?: string): AdminClient {
  const acls = platformaticAcls(admin);
  const call = <T>(doing: string, fn: () => Promise<T>): Promise<T> =>
    retry(() => translated(doing, fn, user), { ...ADMIN_RETRY, retries });

  async function partitionsOf(topic: string): Promise<number[]> {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    return Array.from({ length: count }, (_, i) => i);
  }

  async function listOffsets(topic: string, timestamp: bigint): Promise<Map<number, bigint>> {
    const partitions = await partitionsOf(topic);
    const [listed] = await admin.listOffsets({
      topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }],
    });
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  }

  return {
    createTopics: (specs) => call('create topics', () => createTopics(admin, specs)),
    listTopics: () => call('list topics', () => admin.listTopics()),
    deleteTopics: (topics) =>
      call(`delete topics ${topics.join(', ')}`, () => admin.deleteTopics({ topics: [...topics] })),
    fetchCommittedOffsets: (groupId, topic) =>
      call(`read the offsets of group ${groupId}`, async () => {
        const partitionIndexes = await partitionsOf(topic);
        const [group] = await admin.listConsumerGroupOffsets({
          groups: [{ groupId, topics: [{ name: topic, partitionIndexes }] }],
        });
        const committed = new Map(
          (group?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [
            p.partitionIndex,
            p.committedOffset,
          ]),
        );
        return partitionIndexes.map((partition) => ({
          partition,
          offset: offsetString(committed.get(partition) ?? -1n),
        }));
      }),
    fetchEndOffsets: (topic) =>
      call(`list the offsets of ${topic}`, async () => {
        const ends = await listOffsets(topic, ListOffsetTimestamps.LATEST);
        return [...ends].map(([partition, offset]) => ({ partition, offset: offset.toString() }));
      }),
    fetchOffsetsByTime: (topic, timestampMs) =>
      call(`list the offsets of ${topic}`, async () => {
        const ranges = await rangesSince(
          () => listOffsets(topic, ListOffsetTimestamps.LATEST),
          () => listOffsets(topic, BigInt(timestampMs)),
        );
        return [...ranges].map(([partition, { from }]): PartitionOffset => ({ partition, offset: from.toString() }));
      }),
    setGroupOffsets: (groupId, topic, offsets) =>
      call(`move the offsets of group ${groupId}`, () =>
        admin.alterConsumerGroupOffsets({
          groupId,
          topics: [
            {
              name: topic,
              partitionOffsets: offsets.map((o) => ({ partition: o.partition, offset: BigInt(o.offset) })),
            },
          ],
        }),
      ),
    describeGroup: (groupId) =>
      call(`describe group ${groupId}`, async () => {
        const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
        const members: GroupMember[] = [...(group?.members.values() ?? [])].map((m) => ({
          memberId: m.id,
          clientId: m.clientId,
          host: m.clientHost,
          assignment: Object.fromEntries([...(m.assignments?.values() ?? [])].map((a) => [a.topic, a.partitions])),
        }));
        return { state: groupState(group?.state), members };
      }),
    describeCluster: () =>
      call('describe the cluster', async () => {
        const metadata = await admin.metadata({ topics: [], forceUpdate: true });
        return {
          brokers: metadata.brokers.size,
          controller: metadata.controllerId >= 0 ? metadata.controllerId : null,
        };
      }),
    describeAcls: () => call('describe the ACLs', () => acls.describeAcls()),
    createAcls: (bindings) => call('create ACLs', () => acls.createAcls(bindings)),
    deleteAcls: (bindings) => call('delete ACLs', () => acls.deleteAcls(bindings)),
    disconnect: () => admin.close(),
  };
}

/** Creates the topics of `specs` that do not exist yet and waits until each partition has a leader. */
async function createTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return;
  await Promise.all(
    missing.map(async (s) => {
      try {
        await admin.createTopics({
          topics: [s.topic],
          partitions: s.partitions,
          replicas: s.replicationFactor ?? 1,
          configs: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
      } catch (err) {
        // Another process may have created it between listTopics and createTopics.
        if (!hasApiError(err, 'TOPIC_ALREADY_EXISTS')) throw err;
      }
    }),
  );
  await waitForLeaders(
    admin,
    missing.map((s) => s.topic),
  );
}

/**
 * Like kafkajs' `waitForLeaders`: a topic is usable once its metadata names a leader for
 * every partition; until then the retry helper calls again (a retriable error).
 */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  await retry(
    async () => {
      const metadata = await translated(`read the metadata of ${topics.join(', ')}`, () =>
        admin.metadata({ topics, forceUpdate: true }),
      );
      const ready = topics.every((t) => {
        const partitions = metadata.topics.get(t)?.partitions ?? [];
        return partitions.length > 0 && partitions.every((p) => p !== undefined && p.leader >= 0);
      });
      if (!ready) throw new FleetError('FLEET_KAFKA_UNAVAILABLE', `no leader yet for every partition of ${topics}`);
    },
    { ...ADMIN_RETRY, retries: 20 },
  );
}
