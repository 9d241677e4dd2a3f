import { describe, expect, it } from 'vitest';
import { chunkBySize, MAX_REQUEST_BYTES, recordSize } from '../../src/kafka/request-size.js';

describe('chunkBySize', () => {
  it('keeps what fits in one request together, in order', () => {
    expect(chunkBySize([1, 2, 3], () => 10, 30)).toEqual([[1, 2, 3]]);
  });

  it('cuts the rest into runs under the limit, in order; a larger item goes alone', () => {
    expect(chunkBySize([5, 5, 5, 40, 5], (n) => n, 12)).toEqual([[5, 5], [5], [40], [5]]);
    expect(chunkBySize([], () => 1)).toEqual([]);
  });
});

describe('recordSize', () => {
  it('counts key, value and headers, and bounds the record format around them', () => {
    const bare = recordSize(Buffer.alloc(36), Buffer.alloc(102));
    expect(bare).toBeGreaterThan(138);
    const traced = recordSize('r-1', Buffer.alloc(102), [['traceparent', 'x'.repeat(55)]]);
    expect(traced).toBeGreaterThan(3 + 102 + 11 + 55);
  });

  // Regression: the platformatic seam handed a pipe 8,893 rides of 1,048,517 key and value
  // bytes, re-produced in one request: MESSAGE_TOO_LARGE, retried for ever.
  it('puts a fetched megabyte of rides into more than one request', () => {
    const ride = { key: Buffer.alloc(36), value: Buffer.alloc(82) };
    const rides = Array.from({ length: 8893 }, () => ride);
    const chunks = chunkBySize(rides, (r) => recordSize(r.key, r.value));
    expect(chunks.length).toBe(2);
    expect(chunks.flat()).toHaveLength(8893);
    for (const c of chunks)
      expect(c.reduce((n, r) => n + recordSize(r.key, r.value), 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
  });
});
