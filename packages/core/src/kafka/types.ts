/**
 * The fleet's Kafka client seam. Services and tools only see these interfaces. Two
 * implementations: kafkajs (`kafkajs-client.ts`, the default the design names) and
 * @platformatic/kafka (`platformatic-client.ts`); `client.ts` picks one per
 * {@link KafkaConnection.client}, so the library is swapped without touching a service.
 */

/** The Kafka client libraries behind the seam. */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
/** One of {@link KAFKA_CLIENTS}. */
export type KafkaClientKind = (typeof KAFKA_CLIENTS)[number];

/** Connection settings shared by producers, consumers and admins. */
export interface KafkaConnection {
  /** Which client library implements the seam. @default 'kafkajs' */
  client?: KafkaClientKind;
  /** `host:port` of one or more brokers. */
  brokers: string[];
  /** Client id sent to the broker (shows in its logs and quotas). */
  clientId: string;
  /** TLS: true for the system CAs, or an explicit CA bundle (PEM). @default false */
  ssl?: boolean | { ca: string };
  /** SASL authentication; SCRAM is recommended over PLAIN. */
  sasl?: { mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain'; username: string; password: string };
  /** Time to open a connection to a broker. @default 3000 */
  connectionTimeoutMs?: number;
  /** Time a broker has to answer a request. @default 30000 */
  requestTimeoutMs?: number;
  /**
   * Retries of a failed request or admin call (a probe that must answer at once sets 0).
   * @default 8
   */
  retries?: number;
}

/** A record to produce. */
export interface OutgoingRecord {
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}

/** A consumed record. Offsets are strings (int64). */
export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Record timestamp, epoch ms. */
  timestamp: number;
}

/** The records of one fetch from one partition. */
export interface RecordBatch {
  topic: string;
  partition: number;
  records: IncomingRecord[];
  /** The partition's high watermark when fetched (for lag). */
  highWatermark: string;
}

/** What a batch handler may do while it works. */
export interface BatchControl {
  /** Keeps the group membership alive through a long batch. */
  heartbeat(): Promise<void>;
  /**
   * True when this batch must not commit: its partition's position is no longer this
   * batch's to move. On kafkajs, a seek is pending for the partition (kafkajs' own
   * `isStale`); on @platformatic/kafka, a rebalance took the partition away. False does
   * not prove the partition is still assigned: a rebalance under way shows in `heartbeat()`.
   */
  isStale(): boolean;
  /**
   * Commits the position after `offset` for this batch's partition. Commits are ordered and,
   * while the consumer runs, resolve at once (the round trip overlaps the next batch);
   * while it stops, the promise waits for the commit.
   */
  commit(offset: string): Promise<void>;
}

/** Producer that waits for all in-sync replicas and is idempotent. */
export interface ProducerClient {
  /** Sends records to several topics in one request per broker; resolves once acknowledged. */
  send(batches: ReadonlyArray<{ topic: string; records: readonly OutgoingRecord[] }>): Promise<void>;
  /**
   * Loads the partitions and leaders of `topics` now, so the first send to them pays no
   * metadata round trip (a service warms its output topics before it reports ready).
   */
  prepare(topics: readonly string[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** Consumer group events the services observe. */
export interface ConsumerEvents {
  /**
   * The group was joined; `assignment` lists partitions per topic, `memberId` is the id the
   * coordinator knows this member by (a new one after its session expired).
   */
  onGroupJoin?: (assignment: Record<string, number[]>, memberId: string) => void;
  /** The consumer crashed; `restarting` says whether the client restarts it itself. */
  onCrash?: (err: unknown, restarting: boolean) => void;
  /** The consumer stopped after `stop()`. */
  onStop?: () => void;
}

/** Options of a group consumer. */
export interface ConsumerOptions extends ConsumerEvents {
  groupId: string;
  /** @default 30000 */
  sessionTimeoutMs?: number;
  /** Upper bound of bytes per partition per fetch. @default 1048576 */
  maxBytesPerPartition?: number;
  /** How long the broker may wait for `minBytes` of data before answering a fetch. @default 100 */
  maxWaitTimeMs?: number;
  /** Bytes the broker gathers for a fetch (waiting up to `maxWaitTimeMs`) before it answers. @default 1 */
  minBytes?: number;
  /**
   * Least time between two OffsetCommits of the consumer (their offsets coalesce meanwhile):
   * fewer requests, more records read again after a crash. @default 0
   */
  commitIntervalMs?: number;
  /**
   * Partitions whose batches are handled at the same time. More overlaps one partition's
   * decode and model call with another's produce; sends stay serialized. @default 1
   */
  partitionsConcurrently?: number;
  /** Where a group without committed offsets starts. @default true */
  fromBeginning?: boolean;
}

/** A group consumer that hands over whole fetched batches and never auto-commits. */
export interface ConsumerClient {
  /** Subscribes and runs `handler` for every fetched batch until `stop()`. */
  run(topics: string[], handler: (batch: RecordBatch, control: BatchControl) => Promise<void>): Promise<void>;
  /** Stops fetching, waits for the running batch, leaves the group. */
  stop(): Promise<void>;
  disconnect(): Promise<void>;
}

/** One topic to create. */
export interface TopicSpec {
  topic: string;
  partitions: number;
  /** @default 1 */
  replicationFactor?: number;
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configs?: Record<string, string>;
}

/** Offsets of one partition. */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

/** A consumer group member as the broker describes it. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  /** Partitions per topic. */
  assignment: Record<string, number[]>;
}

/**
 * One ACL: `principal` is allowed (or denied) `operation` on a resource, from any host.
 * The names are Kafka's own (`kafka-acls --list` prints them the same way).
 */
export interface AclBinding {
  /** `User:<name>`, e.g. `User:duration`. */
  principal: string;
  resourceType: 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';
  /** The topic, group or transactional id; `kafka-cluster` for the cluster. */
  resourceName: string;
  /** `PREFIXED`: every resource whose name starts with `resourceName`. */
  patternType: 'LITERAL' | 'PREFIXED';
  operation: 'ALL' | 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'IDEMPOTENT_WRITE';
  permission: 'ALLOW' | 'DENY';
}

/** Administrative operations. */
export interface AdminClient {
  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  createTopics(specs: readonly TopicSpec[]): Promise<void>;
  listTopics(): Promise<string[]>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Committed offsets of a group on a topic (`-1` where nothing is committed). */
  fetchCommittedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]>;
  /** End offsets (high watermarks) of a topic. */
  fetchEndOffsets(topic: string): Promise<PartitionOffset[]>;
  /**
   * Earliest offset at or after `timestampMs`, per partition; where none, the end offset as
   * it was before the lookup, so that a record written meanwhile is not skipped.
   */
  fetchOffsetsByTime(topic: string, timestampMs: number): Promise<PartitionOffset[]>;
  /** Moves a group's committed offsets; the group must have no live members. */
  setGroupOffsets(groupId: string, topic: string, offsets: readonly PartitionOffset[]): Promise<void>;
  /** The group's state and members. */
  describeGroup(groupId: string): Promise<{ state: string; members: GroupMember[] }>;
  /** How many brokers the cluster has and which one is the controller (null: none yet). */
  describeCluster(): Promise<{ brokers: number; controller: number | null }>;
  /**
   * Every ACL of the cluster (needs DESCRIBE on the cluster: an administrator). Optional,
   * like the two below: a client without ACL support leaves all three out, and `fleet init
   * --acls` says so.
   */
  describeAcls?(): Promise<AclBinding[]>;
  /** Creates ACLs; creating one that exists changes nothing. */
  createAcls?(bindings: readonly AclBinding[]): Promise<void>;
  /** Deletes exactly these ACLs (each matched on every field). */
  deleteAcls?(bindings: readonly AclBinding[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** Factory of connected clients: the seam. */
export interface KafkaClient {
  producer(): Promise<ProducerClient>;
  consumer(options: ConsumerOptions): Promise<ConsumerClient>;
  admin(): Promise<AdminClient>;
  /**
   * Reads one partition from the first record at or after `fromTimestampMs` up to its end
   * offset at the time of the call, outside any consumer group's commits; resolves to the
   * number of records read.
   */
  readPartition(
    topic: string,
    partition: number,
    fromTimestampMs: number,
    onRecord: (record: IncomingRecord) => void,
  ): Promise<number>;
}
