import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// kafkajs 2.2.4 encoded each record of a produce request into a zero-filled 512-byte buffer
// of its own (one more per header), wrote every varint through an array and a Buffer made
// of it, and every timestamp delta through a 64-bit Long: most of a saturated model
// service's produce path. Decoding a fetched record, it added each record's offset and
// timestamp delta to its batch's first through Longs parsed from strings. The project
// patches both (patches/kafkajs+2.2.4.patch): the bytes on the wire and the records read
// must not change. These tests hold the installed copy against the format (zigzag LEB128
// from BigInt, the batch's CRC) and its decoder against what was encoded, beyond 32, 49
// and 53 bits too; the last fails unpatched.
const require = createRequire(import.meta.url);

interface Encoder {
  buf: Buffer;
  buffer: Buffer;
  writeVarInt(value: number): Encoder;
  writeVarLong(value: unknown): Encoder;
}
interface EncoderClass {
  new (initialSize?: number): Encoder;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: unknown): number;
}
interface DecodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  offset: string;
  timestamp: string;
}
interface Message {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer | (string | Buffer)[]>;
  timestamp?: number;
}

const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromString(s: string): unknown };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => Encoder;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (batch: object) => Promise<Encoder>;
};
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{ records: DecodedRecord[] }>;
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number;

/** Zigzag LEB128 of a signed integer of `bits` bits, as the Kafka protocol defines it. */
function zigzagVarint(value: bigint, bits: 32n | 64n): Buffer {
  let v = BigInt.asUintN(Number(bits), (value << 1n) ^ (value >> (bits - 1n)));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}

const INT32_EDGES = [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31)];
const WIDER = [2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 3, -(2 ** 40), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];

describe("kafkajs's record encoder and decoder (patched)", () => {
  it('writes each 32-bit varint as the protocol does', () => {
    for (const value of INT32_EDGES) {
      const expected = zigzagVarint(BigInt(value), 32n);
      expect(new Encoder().writeVarInt(value).buffer, `varint ${value}`).toEqual(expected);
      expect(Encoder.sizeOfVarInt(value), `size of varint ${value}`).toBe(expected.length);
    }
  });

  it('writes each varlong as the protocol does: numbers within 32 bits or wider, Longs and strings', () => {
    const cases: [unknown, bigint][] = [
      ...[...INT32_EDGES, ...WIDER].map((v): [unknown, bigint] => [v, BigInt(v)]),
      [Long.fromString('-9223372036854775808'), -(2n ** 63n)],
      [Long.fromString('9223372036854775807'), 2n ** 63n - 1n],
      ['1700000000000', 1_700_000_000_000n],
    ];
    for (const [value, big] of cases) {
      const expected = zigzagVarint(big, 64n);
      expect(new Encoder().writeVarLong(value).buffer, `varlong ${String(big)}`).toEqual(expected);
      expect(Encoder.sizeOfVarLong(value), `size of varlong ${String(big)}`).toBe(expected.length);
    }
  });

  it("encodes a batch of records that kafkajs's decoder reads back whole, under a true CRC", async () => {
    const first = 1_764_000_000_000;
    const messages: Message[] = [
      { key: 'ride-1', value: Buffer.from([0, 0, 0, 0, 7, 1, 2, 3]) },
      { key: Buffer.from('ride-2'), value: 'a string value', timestamp: first + 1 },
      { key: null, value: null, timestamp: first },
      {
        key: 'ride-é',
        value: Buffer.alloc(300, 9),
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', raw: Buffer.from([1, 2]) },
        timestamp: first + 2 ** 31 + 5, // a delta wider than 32 bits
      },
      { key: 'ride-5', value: Buffer.alloc(0), headers: { many: ['x', Buffer.from('y'), ''] }, timestamp: first - 1 },
      { key: 'ride-6', value: 'a delta wider than 49 bits', timestamp: first + 2 ** 50 },
    ];
    const asBuffer = (v: string | Buffer | null | undefined) =>
      v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);
    const timestamps = messages.map((m) => m.timestamp ?? first);
    const records = messages.map((m, i) =>
      Record({ ...m, offsetDelta: i, timestampDelta: (m.timestamp ?? first) - first }),
    );
    // The first offset of a young partition, and one past 2^53 (exact only as a Long).
    for (const firstOffset of ['0', '9007199254740993']) {
      const encoded = await RecordBatch({
        records,
        firstOffset: Long.fromString(firstOffset),
        firstTimestamp: first,
        maxTimestamp: Math.max(...timestamps),
        lastOffsetDelta: records.length - 1,
      });
      const bytes = encoded.buffer;

      // FirstOffset int64, Length int32, PartitionLeaderEpoch int32, Magic int8, CRC uint32,
      // then the CRC-covered rest.
      expect(bytes.readUInt32BE(17)).toBe(crc32C(bytes.subarray(21)));
      const { records: decoded } = await decodeBatch(new Decoder(bytes));
      expect(decoded).toHaveLength(messages.length);
      decoded.forEach((record, i) => expectRecord(record, messages[i], String(BigInt(firstOffset) + BigInt(i))));
    }

    function expectRecord(record: DecodedRecord, m: Message, offset: string): void {
      expect(record.offset).toBe(offset);
      expect(record.timestamp).toBe(String(m.timestamp ?? first));
      expect(record.key).toEqual(asBuffer(m.key));
      expect(record.value).toEqual(asBuffer(m.value));
      const headers = Object.fromEntries(
        Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(asBuffer) : asBuffer(v)]),
      );
      expect(record.headers).toEqual(headers);
    }
  });

  it("sizes each record's buffer to the record, not 512 bytes", () => {
    const record = Record({ key: 'ride-1', value: Buffer.alloc(100, 1), offsetDelta: 3, timestampDelta: 12 });
    expect(record.buffer.length).toBeGreaterThan(100);
    expect(record.buf.length).toBeLessThan(2 * record.buffer.length);
  });
});
