import { describe, expect, it } from 'vitest';
import { JoinTable } from '../src/join-table.js';
import type { Prediction } from '../src/types.js';

const pred = (ride_id: string, model: string): Prediction => ({
  ride_id,
  model,
  model_version: '1.0.0',
  value: 10,
  unit: model === 'duration' ? 'minutes' : 'USD',
  event_time: 1000,
  predicted_at: 1001,
  lower: null,
  upper: null,
  shadow: false,
});

describe('JoinTable expiry while the member may be out of its group', () => {
  it('times nothing out while suspended, however long, until resumed or released', () => {
    const t = new JoinTable({ joinTimeoutMs: 1000, decidedTtlMs: 60_000 });
    t.offer(pred('r1', 'duration'), 0, '0', 0);
    t.suspendExpiry();
    expect(t.expire(1_000_000)).toEqual([]);
    t.resumeExpiry();
    expect(t.expire(1_000_000).map((d) => d.ride_id)).toEqual(['r1']);

    t.offer(pred('r2', 'duration'), 0, '1', 0);
    t.suspendExpiry();
    t.releaseExpiry();
    expect(t.expire(1_000_000).map((d) => d.ride_id)).toEqual(['r2']);
  });

  it('keeps a hold after a pause when the suspension ends', () => {
    const t = new JoinTable({ joinTimeoutMs: 1000, decidedTtlMs: 60_000 });
    t.offer(pred('r1', 'duration'), 0, '0', 0);
    t.holdExpiry(5000);
    t.suspendExpiry();
    t.resumeExpiry();
    expect(t.expire(4999)).toEqual([]);
    expect(t.expire(5000).map((d) => d.ride_id)).toEqual(['r1']);
  });
});
