import { describe, expect, it } from 'vitest';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { keyPartition, murmur2 } from '../../src/kafka/partitioner.js';
import { keyPartitioner } from '../../src/kafka/kafkajs-producer.js';

const partitionMetadata = (n: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({
    partitionId: i,
    leader: leaderless.includes(i) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

describe('murmur2', () => {
  it("hashes as Kafka's Java client does", () => {
    // Utils.murmur2(key.getBytes()) from Kafka's UtilsTest, keys of every length modulo 4.
    const java: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of java) {
      expect(murmur2(key)).toBe(hash);
      expect(murmur2(Buffer.from(key))).toBe(hash);
    }
  });

  it('hashes a string by its UTF-8 bytes, however long', () => {
    for (const key of ['', 'é', 'ride-東京-🚕', 'x'.repeat(5000)]) expect(murmur2(key)).toBe(murmur2(Buffer.from(key)));
  });
});

describe('the kafkajs seam partitioner', () => {
  it('sends every key where kafkajs would have, so a ride meets on one partition', () => {
    const theirs = Partitioners.DefaultPartitioner();
    const ours = keyPartitioner();
    for (const partitions of [1, 6, 7]) {
      const metadata = partitionMetadata(partitions);
      for (let i = 0; i < 2000; i++) {
        const key = i % 3 === 0 ? Buffer.from(`ride-${i}`) : `${i.toString(16).padStart(8, '0')}-ride-é${i}`;
        const message = { key, value: null };
        const expected = theirs({ topic: 't', partitionMetadata: metadata, message });
        expect(ours({ topic: 't', partitionMetadata: metadata, message })).toBe(expected);
        expect(keyPartition(key, partitions)).toBe(expected);
      }
    }
  });

  it('keeps a given partition, and sends records without a key round robin over led partitions', () => {
    const ours = keyPartitioner();
    const metadata = partitionMetadata(4, [1]);
    expect(ours({ topic: 't', partitionMetadata: metadata, message: { key: 'k', value: null, partition: 3 } })).toBe(3);
    const seen = new Set<number>();
    for (let i = 0; i < 30; i++)
      seen.add(ours({ topic: 't', partitionMetadata: metadata, message: { key: null, value: null } }));
    expect([...seen].sort()).toEqual([0, 2, 3]);
  });
});
