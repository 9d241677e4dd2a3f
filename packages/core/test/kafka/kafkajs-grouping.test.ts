import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// kafkajs 2.2.4 groups a send's messages by partition by copying the partition's array for
// every message: quadratic, the largest single item in a CPU profile of a saturated model
// service. The project
// patches it (patches/kafkajs+2.2.4.patch, applied by `postinstall`); this checks the
// installed copy is the patched one and groups as kafkajs's own did.
const require = createRequire(import.meta.url);
const path = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
const group = require(path) as (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: Array<{ key: string }>;
  partitioner: (args: { message: { key: string } }) => number;
}) => Record<number, Array<{ key: string }>>;

describe("kafkajs's grouping of a send by partition (patched)", () => {
  it('is the patched copy: postinstall ran patch-package', () => {
    expect(readFileSync(path, 'utf8')).toContain('Patched by the fleet');
  });

  it('keeps each partition’s messages in the order they were given', () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}` }));
    const groups = group({
      topic: 't',
      partitionMetadata: [{}, {}, {}],
      messages,
      partitioner: ({ message }) => Number(message.key.slice(1)) % 3,
    });
    expect(Object.keys(groups)).toEqual(['0', '1', '2']);
    expect(groups[0].map((m) => m.key)).toEqual(['k0', 'k3', 'k6', 'k9']);
    expect(groups[1].map((m) => m.key)).toEqual(['k1', 'k4', 'k7']);
    expect(groups[2].map((m) => m.key)).toEqual(['k2', 'k5', 'k8']);
  });

  it('gives nothing when the topic has no partition metadata yet', () => {
    expect(group({ topic: 't', partitionMetadata: [], messages: [{ key: 'a' }], partitioner: () => 0 })).toEqual({});
  });
});
