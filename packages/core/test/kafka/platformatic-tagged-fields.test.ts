import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fetchV17, Reader } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { errorChain, hasApiError } from '../../src/kafka/platformatic-errors.js';

// @platformatic/kafka 1.35.0 (the last 1.x, the line that runs on Node.js 20) skips a
// response's tagged fields wrongly: it reads their count as a signed varint and skips that
// many bytes. Any non-empty tagged field then misaligns the rest of the response. After a
// leader change a broker answers a fetch of the old leader epoch with FENCED_LEADER_EPOCH
// and the new leader in a tagged field (KIP-951); the library failed to parse that answer
// ("Out of bounds."), never reset the epoch and sent the same fetch again until its retries
// ran out: a consumer stalled for most of a minute after every broker restart. The project
// patches it (patches/@platformatic+kafka+1.35.0.patch, as 2.x fixed it upstream); this
// checks the installed copy is patched and parses such an answer.

/** An unsigned varint (Kafka's UNSIGNED_VARINT). */
function uvarint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function int16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

function int64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
}

const FENCED_LEADER_EPOCH = 74;

/**
 * One partition of a Fetch v17 answer, without records, with `tags` as its tagged fields.
 * A compact array's or field's length is written as length + 1, as the protocol has it.
 */
function partition(index: number, errorCode: number, tags: Array<[number, Buffer]>): Buffer {
  return Buffer.concat([
    int32(index),
    int16(errorCode),
    int64(10n), // high watermark
    int64(10n), // last stable offset
    int64(0n), // log start offset
    uvarint(1), // aborted transactions: empty compact array
    int32(-1), // preferred read replica
    uvarint(0), // records: null
    uvarint(tags.length),
    ...tags.flatMap(([tag, data]) => [uvarint(tag), uvarint(data.length), data]),
  ]);
}

/** A Fetch v17 answer for one topic: partition 0 fenced (with its new leader), partition 1 fine. */
function fencedAnswer(): Buffer {
  // CurrentLeader (tag 1): leader id, leader epoch, its own (empty) tagged fields.
  const currentLeader = Buffer.concat([int32(1), int32(7), uvarint(0)]);
  return Buffer.concat([
    int32(0), // throttle time
    int16(0), // error code
    int32(0), // session id
    uvarint(2), // one topic
    Buffer.alloc(16, 0xab), // topic id
    uvarint(3), // two partitions
    partition(0, FENCED_LEADER_EPOCH, [[1, currentLeader]]),
    partition(1, 0, []),
    uvarint(0), // the topic's tagged fields
    uvarint(0), // the answer's tagged fields
  ]);
}

describe("@platformatic/kafka's reading of tagged fields (patched)", () => {
  it('is the patched copy: postinstall ran patch-package', () => {
    const require = createRequire(import.meta.url);
    const index = require.resolve('@platformatic/kafka');
    const reader = readFileSync(index.replace(/index\.js$/, 'protocol/reader.js'), 'utf8');
    expect(reader).toContain('KIP-482');
  });

  it('skips a tagged field and reads what follows it', () => {
    const reader = Reader.from(Buffer.concat([uvarint(1), uvarint(3), uvarint(2), Buffer.from([1, 2]), int32(42)]));
    reader.readTaggedFields();
    expect(reader.readInt32()).toBe(42);
  });

  it('parses a fetch answer naming the new leader: FENCED_LEADER_EPOCH, not a parse failure', () => {
    let thrown: unknown;
    try {
      fetchV17.parseResponse(1, 1, 17, Reader.from(fencedAnswer()));
    } catch (err) {
      thrown = err;
    }
    expect(errorChain(thrown).map((e) => e.message)).not.toContain('Out of bounds.');
    expect(hasApiError(thrown, 'FENCED_LEADER_EPOCH')).toBe(true);
    const partitions = (thrown as { response: { responses: Array<{ partitions: Array<{ errorCode: number }> }> } })
      .response.responses[0]!.partitions;
    expect(partitions.map((p) => p.errorCode)).toEqual([FENCED_LEADER_EPOCH, 0]);
  });
});
