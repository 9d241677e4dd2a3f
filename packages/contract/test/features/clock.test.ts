import { describe, expect, it } from 'vitest';
import { minuteOfDay, utcOffsetMs, wallClockMs, weekday, zonedTimeToEpochMs } from '../../src/features/clock.js';

const NY = 'America/New_York';
const HOUR = 3_600_000;

describe('New York wall clock', () => {
  it('switches from EST to EDT at 2019-03-10 07:00 UTC', () => {
    const lastEst = Date.UTC(2019, 2, 10, 6, 59, 59);
    expect(utcOffsetMs(lastEst, NY)).toBe(-5 * HOUR);
    expect(utcOffsetMs(lastEst + 1000, NY)).toBe(-4 * HOUR);
    expect(minuteOfDay(wallClockMs(lastEst, NY))).toBe(1 * 60 + 59);
    expect(minuteOfDay(wallClockMs(lastEst + 1000, NY))).toBe(3 * 60);
  });

  it('switches back at 2019-11-03 06:00 UTC', () => {
    expect(utcOffsetMs(Date.UTC(2019, 10, 3, 5, 59, 59), NY)).toBe(-4 * HOUR);
    expect(utcOffsetMs(Date.UTC(2019, 10, 3, 6, 0, 0), NY)).toBe(-5 * HOUR);
  });

  it('gives the weekday with Monday = 0', () => {
    expect(weekday(wallClockMs(Date.UTC(2019, 2, 11, 3, 59), NY))).toBe(6); // Sun 23:59 EDT
    expect(weekday(wallClockMs(Date.UTC(2019, 2, 11, 4, 0), NY))).toBe(0); // Mon 00:00 EDT
    expect(weekday(wallClockMs(Date.UTC(1969, 11, 31, 12), 'UTC'))).toBe(2); // a Wednesday
  });

  it('reads naive wall-clock times like Python zoneinfo with fold=0', () => {
    const at = (d: number, h: number, mi: number, month = 3) => zonedTimeToEpochMs(NY, 2019, month, d, h, mi, 0);
    expect(at(10, 1, 59)).toBe(Date.UTC(2019, 2, 10, 6, 59));
    expect(at(10, 2, 30)).toBe(Date.UTC(2019, 2, 10, 7, 30)); // in the gap: EST offset
    expect(at(10, 3, 30)).toBe(Date.UTC(2019, 2, 10, 7, 30));
    expect(at(3, 1, 30, 11)).toBe(Date.UTC(2019, 10, 3, 5, 30)); // ambiguous: first instant
    expect(at(15, 12, 0)).toBe(Date.UTC(2019, 2, 15, 16, 0));
    expect(at(1, 12, 0)).toBe(Date.UTC(2019, 2, 1, 17, 0));
  });
});
