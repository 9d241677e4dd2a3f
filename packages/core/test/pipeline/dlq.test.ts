import { describe, expect, it } from 'vitest';
import { FleetError } from '@fleet/contract';
import { DLQ_HEADERS, ORIGINAL_HEADERS_MAX_BYTES, deadLetter } from '../../src/pipeline/dlq.js';
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

  // Regression: headers were copied whole and only key and value cut. A value read from
  // invalid UTF-8 becomes U+FFFD (3 bytes a character) and is cut at 1,000 characters, not
  // bytes, and a record may carry any number of headers: the dead letter was larger than a
  // request, MESSAGE_TOO_LARGE is final, and the partition read the record for ever.
  it('keeps the first original headers that fit a bound, counting bytes, and says how many it left out', () => {
    const invalidUtf8 = Buffer.alloc(1000, 0xff).toString();
    const headers: Record<string, string> = { traceparent: 'tp' };
    for (let i = 0; i < 1500; i++) headers[`h${i}`] = invalidUtf8;
    const record = { ...recordOf(Buffer.from('ride-4'), Buffer.alloc(10)), headers };
    const letter = deadLetter(record, error, origin);
    expect(sizeOf(letter)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    const kept = Object.keys(letter.headers ?? {}).filter((name) => !name.startsWith('fleet.'));
    expect(kept.slice(0, 3)).toEqual(['traceparent', 'h0', 'h1']);
    expect(kept.length).toBeLessThan(1501);
    const keptBytes = kept.reduce((n, name) => n + recordSize(name, letter.headers![name]) - recordSize(null, null), 0);
    expect(keptBytes).toBeLessThanOrEqual(ORIGINAL_HEADERS_MAX_BYTES);
    expect(letter.headers).toMatchObject({
      [DLQ_HEADERS.originalHeadersDropped]: String(1501 - kept.length),
      [DLQ_HEADERS.sourceOffset]: '42',
    });
    // With the headers bounded the small value fits whole: nothing of it is cut.
    expect(letter.value).toBe(record.value);
    expect(letter.headers).not.toHaveProperty(DLQ_HEADERS.originalValueBytes);
  });

  it('fits one request with headers, key and value all too large at once', () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) headers[`h${i}`] = '\u00e9'.repeat(1000);
    const record = { ...recordOf(Buffer.alloc(2 * MAX_REQUEST_BYTES, 1), Buffer.alloc(MAX_REQUEST_BYTES, 2)), headers };
    const letter = deadLetter(record, error, { groupId: 'g'.repeat(5000), service: 's'.repeat(5000) });
    expect(sizeOf(letter)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(letter.value!.length).toBeGreaterThan(0);
  });
});
