import { describe, expect, it } from 'vitest';
import { isoInstant } from '../src/args.js';
import { planMoves, refuse } from '../src/commands/replay.js';

const offsets = (...list: Array<[number, string]>) => list.map(([partition, offset]) => ({ partition, offset }));

describe('fleet replay plans its moves', () => {
  // Partition 0 committed at 5, 1 never committed (start 2), 2 committed at 1 below its start 4.
  const committed = offsets([0, '5'], [1, '-1'], [2, '1']);
  const earliest = offsets([0, '0'], [1, '2'], [2, '4']);

  it('counts the records each move skips or reads again, from where the group would read next', () => {
    const moves = planMoves(offsets([0, '10'], [1, '2'], [2, '3']), committed, earliest);
    expect(moves.map((m) => [m.partition, m.committed, m.delta])).toEqual([
      [0, '5', 5n], // skips 5..9
      [1, undefined, 0n], // read from its start anyway
      [2, '1', -1n], // retention deleted 1..3: the group reads on from 4
    ]);
  });

  it('refuses to skip unread records unless asked, and allows --to-latest', () => {
    const plans = [{ topic: 't', moves: planMoves(offsets([0, '10'], [1, '2'], [2, '4']), committed, earliest) }];
    expect(refuse('decision', 'time', plans, {})).toMatch(/skips 5 record\(s\).*--allow-skip/);
    expect(refuse('decision', 'time', plans, { 'allow-skip': true })).toBeUndefined();
    expect(refuse('decision', 'latest', plans, {})).toBeUndefined();
  });

  it('refuses to move a model service back unless asked; the decision service may', () => {
    const plans = [{ topic: 't', moves: planMoves(offsets([0, '0'], [1, '2'], [2, '4']), committed, earliest) }];
    expect(refuse('duration', 'earliest', plans, {})).toMatch(/publish 5 prediction\(s\) again.*backfill/);
    expect(refuse('duration', 'earliest', plans, { republish: true })).toBeUndefined();
    expect(refuse('decision', 'earliest', plans, {})).toBeUndefined();
  });
});

describe('an instant given on the command line', () => {
  it('is an ISO date-time with its offset, after 1970', () => {
    expect(isoInstant('2026-11-25T10:00:00Z', 'from')).toBe(Date.UTC(2026, 10, 25, 10));
    expect(isoInstant('2026-11-25T11:00+01:00', 'from')).toBe(Date.UTC(2026, 10, 25, 10));
    for (const bad of ['yesterday', '2026-11-25T10:00:00', '2026-11-25', '1969-12-31T23:59:59.999Z', 'Nov 25 2026'])
      expect(() => isoInstant(bad, 'from'), bad).toThrow(/--from .* ISO date-time/);
  });
});
