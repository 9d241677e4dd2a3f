import { AssignerProtocol, type Admin } from 'kafkajs';
import { retry } from '../retry.js';
import { kafkajsAcls } from './kafkajs-acls.js';
import type { AdminClient, PartitionOffset } from './types.js';

/**
 * Admin and metadata calls meet a broker that is not ready yet: right after topics are
 * created their partitions may have no leader (NOT_LEADER_OR_FOLLOWER on ListOffsets), a
 * group coordinator may still be loading (COORDINATOR_LOAD_IN_PROGRESS). kafkajs marks such
 * errors retriable but does not retry every admin request itself, so each call goes through
 * the one retry helper (about 10 s in all before it gives up).
 */
const ADMIN_RETRY = { initialDelayMs: 100, maxDelayMs: 2000 } as const;

function withRetries(admin: AdminClient, retries: number): AdminClient {
  const wrapped = { ...admin };
  for (const key of Object.keys(admin) as (keyof AdminClient)[]) {
    if (key === 'disconnect') continue;
    const call = admin[key] as (...args: unknown[]) => Promise<unknown>;
    (wrapped as Record<string, unknown>)[key] = (...args: unknown[]) =>
      retry(() => call(...args), { ...ADMIN_RETRY, retries });
  }
  return wrapped;
}

/** Wraps a connected kafkajs admin as the seam's {@link AdminClient}, every call retried `retries` times. */
export function createKafkajsAdmin(admin: Admin, retries = 8): AdminClient {
  // kafkajs looks a group's coordinator up among the brokers of its metadata, and a fresh
  // admin knows none until a call fetches the metadata: its first group call would fail
  // "No brokers in the broker pool", and only a retry would succeed. One metadata request
  // before the first group call (describeCluster fetches it) spares that.
  let brokersKnown = false;
  const knowBrokers = async (): Promise<void> => {
    if (brokersKnown) return;
    await admin.describeCluster();
    brokersKnown = true;
  };
  return withRetries(
    {
      async createTopics(specs) {
        const existing = new Set(await admin.listTopics());
        const topics = specs
          .filter((s) => !existing.has(s.topic))
          .map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor ?? 1,
            configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
          }));
        if (topics.length === 0) return;
        try {
          await admin.createTopics({ topics, waitForLeaders: true });
        } catch (err) {
          // Another process may have created it between listTopics and createTopics.
          if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
        }
      },
      listTopics: () => admin.listTopics(),
      deleteTopics: (topics) => admin.deleteTopics({ topics: [...topics] }),
      async fetchCommittedOffsets(groupId, topic) {
        await knowBrokers();
        const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return (result?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset }));
      },
      async fetchEndOffsets(topic) {
        const offsets = await admin.fetchTopicOffsets(topic);
        return offsets.map((p) => ({ partition: p.partition, offset: p.high }));
      },
      async fetchOffsetsByTime(topic, timestampMs) {
        // kafkajs gives the end offset where no record is at or after the time, and asks for
        // the end offsets first, so no record written in between lies before the offset given.
        const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
        return byTime.map((p): PartitionOffset => ({ partition: p.partition, offset: p.offset }));
      },
      async setGroupOffsets(groupId, topic, offsets) {
        await knowBrokers();
        await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ ...o })) });
      },
      async describeGroup(groupId) {
        await knowBrokers();
        const { groups } = await admin.describeGroups([groupId]);
        const group = groups[0];
        return {
          state: group?.state ?? 'Dead',
          members: (group?.members ?? []).map((m) => ({
            memberId: m.memberId,
            clientId: m.clientId,
            host: m.clientHost,
            assignment: decodeAssignment(m.memberAssignment),
          })),
        };
      },
      async describeCluster() {
        const cluster = await admin.describeCluster();
        return { brokers: cluster.brokers.length, controller: cluster.controller };
      },
      ...kafkajsAcls(admin),
      disconnect: () => admin.disconnect(),
    },
    retries,
  );
}

/** Decodes a group member's assignment bytes (the consumer protocol's MemberAssignment). */
function decodeAssignment(bytes: Buffer): Record<string, number[]> {
  if (bytes.length === 0) return {};
  return AssignerProtocol.MemberAssignment.decode(bytes)?.assignment ?? {};
}
