import { describe, expect, it } from 'vitest';
import { JoinTable } from '../src/join-table.js';
import { pred } from './prediction.js';

const table = () => new JoinTable({ joinTimeoutMs: 1000, decidedTtlMs: 60_000 });

describe('JoinTable', () => {
  it('decides a ride once all three predictions arrived', () => {
    const t = table();
    expect(t.offer(pred('r1', 'duration', 12), 0, '0', 0).kind).toBe('pending');
    expect(t.offer(pred('r1', 'cost', 20), 0, '1', 0).kind).toBe('pending');
    const result = t.offer(pred('r1', 'tip', 3), 0, '2', 5);
    expect(result.kind).toBe('decided');
    if (result.kind !== 'decided') return;
    expect(result.decision).toMatchObject({
      ride_id: 'r1',
      duration_min: 12,
      cost_usd: 20,
      tip_usd: 3,
      complete: true,
      missing_models: [],
      model_versions: { duration: '1.0.0', cost: '1.0.0', tip: '1.0.0' },
      event_time: 1000,
      decided_at: 5,
    });
  });

  it('never decides twice: duplicates and late predictions are ignored', () => {
    const t = table();
    t.offer(pred('r1', 'duration'), 0, '0', 0);
    expect(t.offer(pred('r1', 'duration'), 0, '1', 0).kind).toBe('duplicate');
    t.offer(pred('r1', 'cost'), 0, '2', 0);
    expect(t.offer(pred('r1', 'tip'), 0, '3', 0).kind).toBe('decided');
    expect(t.offer(pred('r1', 'tip'), 0, '4', 0).kind).toBe('late');
    t.settle(['r1']);
    expect(t.offer(pred('r1', 'cost'), 0, '5', 0).kind).toBe('late');
    expect(t.expire(10_000)).toEqual([]);
  });

  it('gives a degraded decision naming the missing models after the timeout', () => {
    const t = table();
    t.offer(pred('r1', 'duration'), 0, '0', 0);
    expect(t.expire(999)).toEqual([]);
    const [decision] = t.expire(1000);
    expect(decision).toMatchObject({ ride_id: 'r1', complete: false, missing_models: ['cost', 'tip'], cost_usd: null });
    // A prediction arriving after the degraded decision does not revise it.
    expect(t.offer(pred('r1', 'cost'), 0, '1', 1500).kind).toBe('late');
  });

  it('holds the commit back at the oldest unsettled ride of each partition', () => {
    const t = table();
    t.offer(pred('a', 'duration'), 0, '5', 0);
    t.offer(pred('b', 'duration'), 1, '7', 0);
    t.offer(pred('c', 'duration'), 0, '9', 0);
    expect(t.lowWatermark(0)).toBe(5n);
    expect(t.lowWatermark(1)).toBe(7n);
    t.offer(pred('a', 'cost'), 0, '10', 0);
    t.offer(pred('a', 'tip'), 0, '11', 0);
    // Decided but not yet acknowledged: still holds the watermark.
    expect(t.lowWatermark(0)).toBe(5n);
    t.settle(['a']);
    expect(t.lowWatermark(0)).toBe(9n);
    expect(t.lowWatermark(2)).toBeNull();
  });

  it('remembers rides decided before a restart', () => {
    const t = table();
    t.markDecided('r9', 0);
    expect(t.isDecided('r9')).toBe(true);
    expect(t.offer(pred('r9', 'duration'), 0, '0', 0).kind).toBe('late');
  });

  it('forgets decided rides after the TTL and joins of partitions it lost', () => {
    const t = table();
    t.markDecided('old', 0);
    t.prune(60_000);
    expect(t.isDecided('old')).toBe(false);
    t.offer(pred('x', 'duration'), 3, '0', 0);
    t.dropPartitions(new Set([1]));
    expect(t.pendingCount).toBe(0);
  });

  it('never counts a shadow version: the ride is decided with the live versions only', () => {
    const t = table();
    const shadow = (model: string, value: number) => ({
      ...pred('r1', model, value),
      model_version: '2.0.0',
      shadow: true,
    });
    expect(t.offer(shadow('duration', 99), 0, '0', 0).kind).toBe('shadow');
    t.offer(pred('r1', 'duration', 12), 0, '1', 0);
    expect(t.offer(shadow('cost', 99), 0, '2', 0).kind).toBe('shadow');
    t.offer(pred('r1', 'cost', 20), 0, '3', 0);
    const result = t.offer(pred('r1', 'tip', 3), 0, '4', 0);
    expect(result.kind === 'decided' && result.decision).toMatchObject({
      duration_min: 12,
      cost_usd: 20,
      model_versions: { duration: '1.0.0', cost: '1.0.0', tip: '1.0.0' },
    });
    // One of a ride with no live prediction yet holds nothing back (no join, no offset).
    t.settle(['r1']);
    expect(t.offer({ ...shadow('tip', 1), ride_id: 'r9' }, 0, '5', 0).kind).toBe('shadow');
    expect(t.pendingCount).toBe(0);
    expect(t.lowWatermark(0)).toBeNull();
  });

  it('quotes the fare and trip-time ranges of the versions with an interval, null for the others', () => {
    const t = table();
    const ranged = (model: string, value: number, lower: number, upper: number) => ({
      ...pred('r1', model, value),
      model_version: '2.0.0',
      lower,
      upper,
    });
    t.offer(ranged('duration', 12, 9.6, 17.2), 0, '0', 0);
    t.offer(ranged('cost', 14.2, 12.6, 15.9), 0, '1', 0);
    const result = t.offer(pred('r1', 'tip', 3), 0, '2', 0);
    expect(result.kind === 'decided' && result.decision).toMatchObject({
      fare_quote_usd: 14.5,
      fare_low_usd: 12.5,
      fare_high_usd: 16,
      eta_minutes: 12,
      eta_low_minutes: 9,
      eta_high_minutes: 18,
      model_versions: { duration: '2.0.0', cost: '2.0.0', tip: '1.0.0' },
    });
    const plain = table();
    for (const m of ['duration', 'cost']) plain.offer(pred('r2', m), 0, '0', 0);
    const r2 = plain.offer(pred('r2', 'tip'), 0, '1', 0);
    expect(r2.kind === 'decided' && r2.decision).toMatchObject({ fare_low_usd: null, eta_high_minutes: null });
  });

  it('ignores predictions of unknown models', () => {
    expect(table().offer(pred('r1', 'surge'), 0, '0', 0).kind).toBe('unknown-model');
  });

  it('decides a reopened ride again when its predictions are read again (failed send)', () => {
    const t = table();
    t.offer(pred('r1', 'duration'), 0, '0', 0);
    t.offer(pred('r1', 'cost'), 0, '1', 0);
    expect(t.offer(pred('r1', 'tip'), 0, '2', 0).kind).toBe('decided');
    t.reopen(['r1']);
    expect(t.isDecided('r1')).toBe(false);
    // The batch is fetched again: the first re-read prediction completes the ride once more.
    expect(t.offer(pred('r1', 'duration'), 0, '0', 10).kind).toBe('decided');
    expect(t.offer(pred('r1', 'cost'), 0, '1', 10).kind).toBe('late');
  });

  it('times a reopened degraded decision out again', () => {
    const t = table();
    t.offer(pred('r1', 'duration'), 0, '0', 0);
    expect(t.expire(1000)).toHaveLength(1);
    t.reopen(['r1']);
    const [again] = t.expire(1001);
    expect(again).toMatchObject({ ride_id: 'r1', complete: false, missing_models: ['cost', 'tip'] });
  });
});

describe('JoinTable expiry while the member may be out of its group', () => {
  it('times nothing out while suspended, however long, until resumed or released', () => {
    const t = table();
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
    const t = table();
    t.offer(pred('r1', 'duration'), 0, '0', 0);
    t.holdExpiry(5000);
    t.suspendExpiry();
    t.resumeExpiry();
    expect(t.expire(4999)).toEqual([]);
    expect(t.expire(5000).map((d) => d.ride_id)).toEqual(['r1']);
  });
});
