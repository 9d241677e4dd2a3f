import { describe, expect, it } from 'vitest';
import { layoutProblems } from '../../src/kafka/topics.js';

describe("the partitions of the fleet's existing topics", () => {
  const topics = { rides: 'r', predictions: 'p', decisions: 'd', completed: 'c', health: 'h' };

  it('are fine when predictions, decisions and outcomes match and model_health has one', () => {
    expect(
      layoutProblems(
        topics,
        new Map([
          ['p', 6],
          ['d', 6],
          ['c', 6],
          ['h', 1],
        ]),
      ),
    ).toEqual([]);
  });

  it('are named when they differ, each problem once', () => {
    expect(
      layoutProblems(
        topics,
        new Map([
          ['p', 12],
          ['d', 6],
          ['c', 12],
          ['h', 3],
        ]),
      ),
    ).toEqual(['d has 6 partitions where p has 12', 'h has 3 partitions, not 1']);
  });
});
