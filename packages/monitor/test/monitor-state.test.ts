import { describe, expect, it } from 'vitest';
import type { PredictionRecord, RideCompleted, RideStarted } from '@fleet/contract';
import { MonitorState, type MonitorOptions } from '../src/monitor-state.js';
import type { ModelReference } from '../src/reference.js';

const SEC = 1000;
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

const options: MonitorOptions = {
  windowsMs: [60 * SEC, 900 * SEC],
  bucketMs: SEC,
  psiWarning: 0.1,
  psiAlert: 0.25,
  minDriftRows: 4,
  joinTtlMs: 3600 * SEC,
  maxPendingRides: 1000,
};

/** A reference whose predictions are in (−∞, 10] half the time and above 10 the other half. */
const reference: ModelReference = {
  rows: 100,
  features: {
    prediction: { kind: 'numeric', edges: [10], shares: [0.5, 0.5], missing_share: 0 },
    pickup_borough: { kind: 'categorical', categories: ['Manhattan', 'Queens'], shares: [0.8, 0.2], missing_share: 0 },
  },
};

const prediction = (
  ride: string,
  value: number,
  at: number,
  model = 'duration',
  version = '1.0.0',
): PredictionRecord => ({
  ride_id: ride,
  model,
  model_version: version,
  value,
  unit: 'minutes',
  event_time: at,
  lower: null,
  upper: null,
  shadow: false,
  predicted_at: at,
});

const outcome = (ride: string, minutes: number, at: number): RideCompleted => ({
  ride_id: ride,
  event_time: at,
  dropoff_time: at,
  duration_min: minutes,
  cost_usd: 10,
  tip_usd: 2,
  total_usd: 12,
});

const ride = (id: string, borough: string | null, at: number): RideStarted => ({
  ride_id: id,
  event_time: at,
  pickup_time: at,
  pickup_zone: null,
  dropoff_zone: null,
  pickup_borough: borough,
  dropoff_borough: null,
  estimated_distance_miles: 2,
  passengers: 1,
  service_color: 'YELLOW',
  payment_method: 'CASH',
});

const health = (state: MonitorState, now: number, windowSec = 60, model = 'duration') =>
  state.health(now).find((h) => h.model === model && h.window_sec === windowSec)!;

describe('MonitorState', () => {
  it('joins predictions with outcomes in either order: MAE, bias, count and outcome share per window', () => {
    const state = new MonitorState(options, [{ model: 'duration', version: '1.0.0', reference }]);
    state.prediction(prediction('a', 10, T0), T0);
    state.outcome(outcome('a', 12, T0 + 5 * SEC), T0 + 5 * SEC);
    // The outcome first, its prediction later (a lagging model service).
    state.outcome(outcome('b', 4, T0 + 6 * SEC), T0 + 6 * SEC);
    state.prediction(prediction('b', 8, T0 + 1 * SEC), T0 + 7 * SEC);
    state.prediction(prediction('c', 20, T0 + 2 * SEC), T0 + 7 * SEC);
    const h = health(state, T0 + 10 * SEC);
    expect(h).toMatchObject({ model: 'duration', model_version: '1.0.0', predictions: 3, outcomes: 2 });
    expect(h.mae).toBeCloseTo((2 + 4) / 2, 12);
    expect(h.bias).toBeCloseTo((-2 + 4) / 2, 12);
    expect(h.outcome_share).toBeCloseTo(2 / 3, 12);
    expect(state.results.joined).toBe(2);
  });

  it('counts the first prediction of a version and the first outcome of a ride, once', () => {
    const state = new MonitorState(options, []);
    state.prediction(prediction('a', 10, T0), T0);
    state.prediction(prediction('a', 99, T0), T0);
    state.outcome(outcome('a', 11, T0), T0);
    state.outcome(outcome('a', 50, T0), T0);
    const h = health(state, T0);
    expect(h).toMatchObject({ predictions: 1, outcomes: 1, mae: 1, drift_status: 'NO_REFERENCE' });
    expect(state.results.duplicate).toBe(2);
  });

  it('keeps each model version apart, and a new version appears when its predictions do', () => {
    const state = new MonitorState(options, [{ model: 'duration', version: '1.0.0', reference }]);
    state.prediction(prediction('a', 10, T0, 'duration', '1.0.0'), T0);
    state.prediction(prediction('a', 13, T0, 'duration', '2.0.0'), T0);
    state.prediction(prediction('a', 1, T0, 'cost', '1.0.0'), T0);
    state.prediction(prediction('a', 1, T0, 'surge', '1.0.0'), T0);
    state.outcome(outcome('a', 12, T0), T0);
    const versions = state.health(T0).filter((h) => h.window_sec === 60);
    const mae = Object.fromEntries(versions.map((h) => [`${h.model}@${h.model_version}`, h.mae]));
    expect(mae).toEqual({ 'duration@1.0.0': 2, 'duration@2.0.0': 1, 'cost@1.0.0': 9 });
    expect(state.results.unknown_model).toBe(1);
  });

  it('counts the predictions of versions past the 64 it keeps apart, instead of dropping them unsaid', () => {
    const state = new MonitorState(options, []);
    for (let v = 0; v < 70; v++) state.prediction(prediction(`r${v}`, 10, T0, 'duration', `${v}.0.0`), T0);
    expect(state.results.too_many_versions).toBe(6);
  });

  it('compares a shadow version with the live one on the same rides, in either order of arrival', () => {
    const state = new MonitorState(options, []);
    const shadow = (id: string, value: number) => ({ ...prediction(id, value, T0, 'duration', '2.0.0'), shadow: true });
    state.prediction(prediction('a', 10, T0), T0);
    state.prediction(shadow('a', 11), T0);
    state.outcome(outcome('a', 12, T0), T0);
    state.outcome(outcome('b', 4, T0), T0);
    state.prediction(shadow('b', 5), T0);
    state.prediction(prediction('b', 8, T0), T0);
    // Rides with one side only are not in the comparison.
    state.prediction(prediction('c', 30, T0), T0);
    state.outcome(outcome('c', 1, T0), T0);
    state.prediction(shadow('a', 11), T0);
    expect(state.comparisons()).toEqual([
      { model: 'duration', live_version: '1.0.0', shadow_version: '2.0.0', rides: 2, live_mae: 3, shadow_mae: 1 },
    ]);
    // Which version serves: only live predictions count.
    expect([...state.livePredictions]).toEqual([['duration@1.0.0', 3]]);
    const mae = Object.fromEntries(
      state
        .health(T0)
        .filter((h) => h.window_sec === 60)
        .map((h) => [h.model_version, h.mae]),
    );
    expect(mae).toEqual({ '1.0.0': (2 + 4 + 29) / 3, '2.0.0': 1 });
  });

  it('slides: an error leaves the 1-minute window and stays in the 15-minute one', () => {
    const state = new MonitorState(options, []);
    state.prediction(prediction('a', 10, T0), T0);
    state.outcome(outcome('a', 13, T0), T0);
    const later = T0 + 120 * SEC;
    expect(health(state, later, 60)).toMatchObject({ outcomes: 0, mae: null, outcome_share: null });
    expect(health(state, later, 900)).toMatchObject({ outcomes: 1, mae: 3, outcome_share: 1 });
  });

  it('flags drift per version against its reference, with the missing share of the inputs', () => {
    const state = new MonitorState(options, [{ model: 'duration', version: '1.0.0', reference }]);
    // Like training: half the predictions above 10, 4 in 5 rides from Manhattan.
    ['Manhattan', 'Manhattan', 'Manhattan', 'Manhattan', 'Queens'].forEach((b, i) =>
      state.ride(ride(`r${i}`, b, T0), T0),
    );
    [5, 15, 6, 16].forEach((v, i) => state.prediction(prediction(`p${i}`, v, T0), T0));
    expect(health(state, T0)).toMatchObject({ drift_status: 'OK', drifted_features: [] });
    expect(health(state, T0).psi.prediction).toBeCloseTo(0, 9);
    // Then every prediction above 10 and every ride from Queens or unknown.
    for (let i = 0; i < 40; i++) {
      state.prediction(prediction(`q${i}`, 30, T0 + 70 * SEC), T0 + 70 * SEC);
      state.ride(ride(`s${i}`, i % 4 === 0 ? null : 'Queens', T0 + 70 * SEC), T0 + 70 * SEC);
    }
    const h = health(state, T0 + 70 * SEC);
    expect(h.drift_status).toBe('ALERT');
    expect(h.drifted_features).toEqual(expect.arrayContaining(['prediction', 'pickup_borough']));
    expect(h.missing_share.pickup_borough).toBeCloseTo(10 / 40, 12);
    expect(h.rides).toBe(40);
  });

  it("counts a ride's inputs once when its ride_started is read again", () => {
    const state = new MonitorState({ ...options, maxPendingRides: 2 }, [
      { model: 'duration', version: '1.0.0', reference },
    ]);
    for (const id of ['a', 'b', 'a', 'b']) state.ride(ride(id, 'Queens', T0), T0);
    expect(health(state, T0).rides).toBe(2);
    expect(health(state, T0).missing_share.pickup_borough).toBe(0);
    // Beyond the last maxPendingRides rides, the oldest id is forgotten: read again, it counts.
    state.ride(ride('c', null, T0), T0);
    state.ride(ride('a', 'Queens', T0), T0);
    expect(health(state, T0).rides).toBe(4);
    expect(health(state, T0).missing_share.pickup_borough).toBeCloseTo(1 / 4, 12);
  });

  it('says so when a window has too few rows to judge drift', () => {
    const state = new MonitorState(options, [{ model: 'duration', version: '1.0.0', reference }]);
    state.prediction(prediction('a', 10, T0), T0);
    expect(health(state, T0)).toMatchObject({ drift_status: 'INSUFFICIENT_DATA', psi: {} });
  });

  it('holds at most maxPendingRides rides and forgets them after the join TTL', () => {
    const state = new MonitorState({ ...options, maxPendingRides: 2, joinTtlMs: 10 * SEC }, []);
    state.prediction(prediction('a', 10, T0), T0);
    state.prediction(prediction('b', 10, T0), T0);
    state.prediction(prediction('c', 10, T0 + SEC), T0 + SEC);
    expect(state.pendingRides).toBe(2);
    expect(state.results.dropped_full).toBe(1);
    // 'a' was dropped: its outcome joins nothing.
    state.outcome(outcome('a', 12, T0 + 2 * SEC), T0 + 2 * SEC);
    expect(health(state, T0 + 2 * SEC).outcomes).toBe(0);
    state.expire(T0 + 12 * SEC);
    expect(state.pendingRides).toBe(0);
    expect(state.results.expired_unjoined).toBe(2);
  });
});

describe('MonitorState on history', () => {
  it('skips records too old for any window instead of holding them', () => {
    const state = new MonitorState({ ...options, joinTtlMs: 60 * SEC }, [
      { model: 'duration', version: '1.0.0', reference },
    ]);
    const now = T0 + 3600 * SEC;
    state.prediction(prediction('old', 10, T0), now);
    state.outcome(outcome('old', 12, T0), now);
    state.ride(ride('old', 'Queens', T0), now);
    expect(state.pendingRides).toBe(0);
    expect(state.results.stale).toBe(2);
    expect(state.health(now).map((h) => [h.rides, h.predictions])).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('skips a ride of long ago scored again just now (a replay), holding no ride for it', () => {
    const state = new MonitorState({ ...options, joinTtlMs: 60 * SEC }, [
      { model: 'duration', version: '1.0.0', reference },
    ]);
    const now = T0 + 3 * 86_400 * SEC;
    for (let i = 0; i < 100; i++) state.prediction({ ...prediction(`replayed-${i}`, 10, T0), predicted_at: now }, now);
    expect(state.pendingRides).toBe(0);
    expect(state.results.stale).toBe(100);
    state.prediction(prediction('live', 10, now), now);
    expect(state.pendingRides).toBe(1);
  });
});
