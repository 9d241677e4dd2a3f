import { describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import {
  ListOffsetTimestamps,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  TimeoutError,
  UserError,
  type Admin,
} from '@platformatic/kafka';
import { isFleetError, isRetriable } from '@fleet/contract';
import { kafkaClientKind } from '../../src/index.js';
import { fromAcl, toAcl } from '../../src/kafka/platformatic-acls.js';
import { createPlatformaticAdmin, groupState } from '../../src/kafka/platformatic-admin.js';
import { platformaticOptions } from '../../src/kafka/platformatic-client.js';
import { toFleetError } from '../../src/kafka/platformatic-errors.js';
import { keyPartition } from '../../src/kafka/partitioner.js';
import { keyPartitioner } from '../../src/kafka/platformatic-producer.js';
import { recordsInRange } from '../../src/kafka/platformatic-reader.js';

describe('KAFKA_CLIENT', () => {
  it('names kafkajs by default and platformatic when asked; anything else stops the process', () => {
    expect(kafkaClientKind({})).toBe('kafkajs');
    expect(kafkaClientKind({ KAFKA_CLIENT: 'platformatic' })).toBe('platformatic');
    let err: unknown;
    try {
      kafkaClientKind({ KAFKA_CLIENT: 'rdkafka' });
    } catch (e) {
      err = e;
    }
    expect(isFleetError(err, 'FLEET_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/KAFKA_CLIENT/);
  });
});

describe('the platformatic producer partitioner', () => {
  const partitionOf = (key: string, partitions: number): number =>
    keyPartitioner({ topic: 't' }, Buffer.from(key), { metadata: undefined }) % partitions;

  it("sends a key where Kafka's Java client does (murmur2, low 31 bits, as partitioner.ts computes)", () => {
    for (const key of ['21', 'foobar', 'abc', 'a-little-bit-long-string', 'ride-é'])
      expect(partitionOf(key, 1000)).toBe(keyPartition(key, 1000));
  });

  it('agrees with the kafkajs seam on every ride id, so a ride meets on one partition', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    for (let i = 0; i < 500; i++) {
      const key = `ride-${i.toString(16).padStart(8, '0')}`;
      const expected = kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } });
      expect(partitionOf(key, 6)).toBe(expected);
    }
  });
});

describe('library errors at the seam', () => {
  it('keeps outages retriable, the library retries exhausted included', () => {
    const down = new MultipleErrors('fetch failed 4 times.', [new NetworkError('ECONNREFUSED')]);
    expect(isRetriable(toFleetError(down, 'fetch'))).toBe(true);
    expect(isRetriable(toFleetError(new TimeoutError('timed out'), 'produce'))).toBe(true);
    expect(isRetriable(toFleetError(new ProtocolError('REBALANCE_IN_PROGRESS'), 'commit'))).toBe(true);
    expect(isRetriable(toFleetError(new UserError('Unknown topic t.'), 'metadata'))).toBe(true);
  });

  it('makes refusals final: an ACL, the credentials, an untrusted certificate, a bad request', () => {
    const denied = new MultipleErrors('produce failed.', [new ProtocolError('TOPIC_AUTHORIZATION_FAILED')]);
    const acl = toFleetError(denied, 'write to predictions', 'duration');
    expect(isFleetError(acl, 'FLEET_KAFKA_NOT_AUTHORIZED')).toBe(true);
    expect(acl.message).toBe(
      'user "duration" is not authorized to write to predictions (TOPIC_AUTHORIZATION_FAILED): no ACL allows it (README, Security)',
    );
    const sasl = new MultipleErrors('Cannot connect to any broker.', [new ProtocolError('SASL_AUTHENTICATION_FAILED')]);
    const auth = toFleetError(sasl, 'describe the cluster', 'admin');
    expect(isFleetError(auth, 'FLEET_KAFKA_AUTH_FAILED')).toBe(true);
    expect(auth.message).toMatch(/user "admin".*KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
    const tls = new NetworkError('Connection failed', {
      cause: Object.assign(new Error('untrusted'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    });
    expect(toFleetError(tls, 'connect').message).toMatch(/KAFKA_SSL_CA_FILE/);
    const tooLarge = toFleetError(new ProtocolError('MESSAGE_TOO_LARGE'), 'write to t');
    expect(isFleetError(tooLarge, 'FLEET_KAFKA_UNAVAILABLE')).toBe(true);
    expect(isRetriable(tooLarge)).toBe(false);
    expect(tooLarge.cause).toBeInstanceOf(ProtocolError);
    expect(isRetriable(toFleetError(new UserError('/options/acks must be integer'), 'send'))).toBe(false);
  });
});

describe('platformaticOptions', () => {
  it('maps TLS with a CA, SCRAM and the timeouts of the connection', () => {
    const options = platformaticOptions({
      brokers: ['127.0.0.1:9094'],
      clientId: 'fleet-test',
      ssl: { ca: 'PEM' },
      sasl: { mechanism: 'scram-sha-512', username: 'duration', password: 'secret' },
      requestTimeoutMs: 1000,
      retries: 0,
    });
    expect(options).toMatchObject({
      bootstrapBrokers: ['127.0.0.1:9094'],
      tls: { ca: 'PEM' },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'duration', password: 'secret' },
      timeout: 1000,
      retries: 0,
    });
    expect(platformaticOptions({ brokers: ['b:1'], clientId: 'c' })).not.toHaveProperty('tls');
    expect(platformaticOptions({ brokers: ['b:1'], clientId: 'c', ssl: true })).toHaveProperty('tls', {});
  });
});

describe('groupState', () => {
  it('spells the states as kafkajs and the Java client do', () => {
    expect(groupState('STABLE')).toBe('Stable');
    expect(groupState('EMPTY')).toBe('Empty');
    expect(groupState('PREPARING_REBALANCE')).toBe('PreparingRebalance');
    expect(groupState(undefined)).toBe('Dead');
  });
});

describe('recordsInRange (readPartition)', () => {
  const record = (offsetDelta: number, value: string) => ({
    offsetDelta,
    timestampDelta: BigInt(offsetDelta),
    key: Buffer.from(`k${offsetDelta}`),
    value: Buffer.from(value),
    headers: [[Buffer.from('h'), Buffer.from('v')]] as [Buffer | null, Buffer | null][],
  });

  it('keeps the records from `from` to before `end`, without transaction markers', () => {
    const batches = [
      { firstOffset: 10n, firstTimestamp: 1000n, attributes: 0, records: [0, 1, 2, 3].map((d) => record(d, `v${d}`)) },
      { firstOffset: 14n, firstTimestamp: 2000n, attributes: 0x20, records: [record(0, 'marker')] },
      { firstOffset: 15n, firstTimestamp: 3000n, attributes: 0, records: [record(0, 'v15'), record(1, 'v16')] },
    ];
    const { records, next } = recordsInRange('t', 2, batches, 12n, 16n);
    expect(records.map((r) => [r.offset, r.value?.toString()])).toEqual([
      ['12', 'v2'],
      ['13', 'v3'],
      ['15', 'v15'],
    ]);
    expect(records[0]).toMatchObject({ topic: 't', partition: 2, timestamp: 1002, headers: { h: 'v' } });
    expect(next).toBe(17n);
  });
});

describe('ACLs on @platformatic/kafka', () => {
  it('keeps every field of an ACL through the library and back', () => {
    const binding = {
      principal: 'User:duration',
      resourceType: 'TOPIC',
      resourceName: 'predictions',
      patternType: 'PREFIXED',
      operation: 'IDEMPOTENT_WRITE',
      permission: 'DENY',
    } as const;
    expect(toAcl(binding)).toMatchObject({ host: '*', resourceType: 2, resourcePatternType: 4, operation: 12 });
    expect(fromAcl(toAcl(binding))).toEqual(binding);
  });
});

describe('the platformatic admin: offsets by time', () => {
  /**
   * A one-partition topic being written to, as decisions are while a listener starts: its
   * first `old` records are older than the time asked, and after each ListOffsets answer
   * one more record arrives, recent enough.
   */
  function writtenTo(old: number) {
    let end = old;
    const admin = {
      metadata: async () => ({ topics: new Map([['t', { partitionsCount: 1 }]]) }),
      listOffsets: async (request: { topics: Array<{ partitions: Array<{ timestamp: bigint }> }> }) => {
        const { timestamp } = request.topics[0].partitions[0];
        const recent = end > old ? BigInt(old) : -1n;
        const offset = timestamp === ListOffsetTimestamps.LATEST ? BigInt(end) : recent;
        end += 1;
        return [{ name: 't', partitions: [{ partitionIndex: 0, offset }] }];
      },
    };
    return createPlatformaticAdmin(admin as unknown as Admin, 0);
  }

  it('gives the end offset from before the lookup where no record is that recent, so one written meanwhile is read', async () => {
    // The first recent record is offset 5. Looked up first, the time finds none yet (-1)
    // and the end asked after it is 6: a reader starting there would skip offset 5.
    expect(await writtenTo(5).fetchOffsetsByTime('t', 10_000)).toEqual([{ partition: 0, offset: '5' }]);
  });
});
