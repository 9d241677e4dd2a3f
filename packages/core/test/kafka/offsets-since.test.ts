import { describe, expect, it } from 'vitest';
import { rangesSince } from '../../src/kafka/offsets-since.js';

describe('rangesSince', () => {
  it('asks the end offsets before the offsets by time, never both at once', async () => {
    const asked: string[] = [];
    const lookup = (what: string, offsets: Map<number, bigint>) => async () => {
      asked.push(`${what} asked`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      asked.push(`${what} answered`);
      return offsets;
    };
    await rangesSince(lookup('end', new Map([[0, 9n]])), lookup('by time', new Map([[0, 4n]])));
    expect(asked).toEqual(['end asked', 'end answered', 'by time asked', 'by time answered']);
  });

  it('reads from the offset by time up to the end offset', async () => {
    const ranges = await rangesSince(
      async () =>
        new Map([
          [0, 9n],
          [1, 3n],
        ]),
      async () =>
        new Map([
          [0, 4n],
          [1, 3n],
        ]),
    );
    expect([...ranges]).toEqual([
      [0, { from: 4n, end: 9n }],
      [1, { from: 3n, end: 3n }],
    ]);
  });

  it('starts at the end where no record is that recent (-1)', async () => {
    const ranges = await rangesSince(
      async () => new Map([[0, 7n]]),
      async () => new Map([[0, -1n]]),
    );
    expect(ranges.get(0)).toEqual({ from: 7n, end: 7n });
  });
});
