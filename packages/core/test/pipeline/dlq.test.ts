import { describe, expect, it } from 'vitest';
import { FleetError } from '@fleet/contract';
import { DLQ_HEADERS, deadLetter } from '../../src/pipeline/dlq.js';
import { MAX_REQUEST_BYTES, recordSize } from '../../src/kafka/request-size.js';
import type { IncomingRecord } from '../../src/kafka/types.js';

const origin = { groupId: 'fleet.tip', service: 'tip' };
const error = new FleetError('FLEET_VALIDATION_FAILED', 'pickup_zone is too long or has control characters');

const recordOf = (key: Buffer | null, value: Buffer | null): IncomingRecord => ({
  topic: 'ride_started',
  partition: 3,
  offset: '42',
  key,
  value,
  headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  timestamp: 0,
});

const sizeOf = (letter: ReturnType<typeof deadLetter>): number =>
  recordSize(letter.key, letter.value, Object.entries(letter.headers ?? {}));

describe('deadLetter', () => {
  it('keeps the original key, value and headers of a record that fits, and says no length', () => {
    const record = recordOf(Buffer.from('ride-1'), Buffer.from('bytes'));
    const letter = deadLetter(record, error, origin);
    expect(letter.key).toBe(record.key);
    expect(letter.value).toBe(record.value);
    expect(letter.headers).toMatchObject({
      traceparent: record.headers.traceparent,
      [DLQ_HEADERS.errorCode]: 'FLEET_VALIDATION_FAILED',
      [DLQ_HEADERS.sourceOffset]: '42',
    });
    expect(letter.headers).not.toHaveProperty(DLQ_HEADERS.originalValueBytes);
  });

  // The broker took the record (compressed, or just under its limit); with the headers the
  // dead letter would not fit, and a refused DLQ send would stop the partition for ever.
  it.each([
    ['a value just under the request bound', 'ride-2', MAX_REQUEST_BYTES - 50],
    ['a value that came compressed, three times the bound', 'ride-3', 3 * MAX_REQUEST_BYTES],
  ])('cuts %s to fit one request, its first bytes kept and its length in a header', (_, key, bytes) => {
    const value = Buffer.alloc(bytes, 7);
    const letter = deadLetter(recordOf(Buffer.from(key), value), error, origin);
    expect(sizeOf(letter)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(letter.key?.toString()).toBe(key);
    expect(value.subarray(0, letter.value!.length).equals(letter.value!)).toBe(true);
    expect(letter.value!.length).toBeGreaterThan(MAX_REQUEST_BYTES - 2000);
    expect(letter.headers).toMatchObject({
      [DLQ_HEADERS.originalValueBytes]: String(bytes),
      [DLQ_HEADERS.sourceOffset]: '42',
    });
    expect(letter.headers).not.toHaveProperty(DLQ_HEADERS.originalKeyBytes);
  });

  it('cuts a key too large for a request as well', () => {
    const key = Buffer.alloc(2 * MAX_REQUEST_BYTES, 1);
    const letter = deadLetter(recordOf(key, Buffer.alloc(10)), error, origin);
    expect(sizeOf(letter)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(letter.headers).toMatchObject({ [DLQ_HEADERS.originalKeyBytes]: String(key.length) });
  });
});
