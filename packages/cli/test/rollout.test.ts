import { describe, expect, it } from 'vitest';
import { surplusOf } from '../src/lifecycle/rollout.js';
import type { Instance } from '../src/procs/instances.js';

const instance = (index: number, version: string): Instance => ({
  service: 'duration',
  role: 'live',
  version,
  index,
  pid: 1000 + index,
  port: 9000 + index,
  logFile: '',
  startedAt: '',
});

describe('a rollout that goes on after one cut short', () => {
  it('stops the instances beyond the count it began with, those on the old version first', () => {
    // Three on 1.0.0; the promote to 2.0.0 replaced #1 by #4, started #5 and was cut short.
    const now = [instance(2, '1.0.0'), instance(3, '1.0.0'), instance(4, '2.0.0'), instance(5, '2.0.0')];
    expect(surplusOf(now, '2.0.0', 3).map((i) => i.index)).toEqual([3]);
    expect(surplusOf(now, '2.0.0', 4)).toEqual([]);
    // Going back to 1.0.0 instead: a 2.0.0 instance is the surplus.
    expect(surplusOf(now, '1.0.0', 3).map((i) => i.index)).toEqual([5]);
  });
});
