/** Milliseconds in a minute. */
export const MS_PER_MINUTE = 60_000;
/** Milliseconds in a day. */
export const MS_PER_DAY = 86_400_000;
// Every IANA zone changes its offset on a quarter-hour boundary, so the offset is constant
// within a 15-minute bucket of UTC time and one lookup per bucket is exact.
const BUCKET_MS = 900_000;
const MAX_CACHED_BUCKETS = 100_000;

interface ZoneCache {
  readonly format: Intl.DateTimeFormat;
  readonly offsets: Map<number, number>;
}

const zones = new Map<string, ZoneCache>();

function zoneCache(timeZone: string): ZoneCache {
  let cache = zones.get(timeZone);
  if (cache === undefined) {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    cache = { format, offsets: new Map() };
    zones.set(timeZone, cache);
  }
  return cache;
}

function computeOffsetMs(format: Intl.DateTimeFormat, epochMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(epochMs)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - (epochMs - (((epochMs % 1000) + 1000) % 1000));
}

/**
 * The UTC offset of `timeZone` at the instant `epochMs`, in milliseconds (New York: -5 h
 * in winter, -4 h in summer). Cached per 15 minutes of UTC time, so after the first call
 * for a period it neither formats nor allocates.
 */
export function utcOffsetMs(epochMs: number, timeZone: string): number {
  const cache = zoneCache(timeZone);
  const bucket = Math.floor(epochMs / BUCKET_MS);
  let offset = cache.offsets.get(bucket);
  if (offset === undefined) {
    offset = computeOffsetMs(cache.format, bucket * BUCKET_MS);
    if (cache.offsets.size >= MAX_CACHED_BUCKETS) cache.offsets.clear();
    cache.offsets.set(bucket, offset);
  }
  return offset;
}

/** The wall-clock time of `timeZone` at `epochMs`, as milliseconds of a UTC-based calendar. */
export function wallClockMs(epochMs: number, timeZone: string): number {
  return epochMs + utcOffsetMs(epochMs, timeZone);
}

/** Minute of the day (0-1439) of a wall-clock time from {@link wallClockMs}. */
export function minuteOfDay(wallMs: number): number {
  const minutes = Math.floor(wallMs / MS_PER_MINUTE);
  return ((minutes % 1440) + 1440) % 1440;
}

/** Day of the week, Monday = 0 … Sunday = 6, of a wall-clock time from {@link wallClockMs}. */
export function weekday(wallMs: number): number {
  const days = Math.floor(wallMs / MS_PER_DAY);
  return (((days + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/**
 * The instant at which the clocks of `timeZone` read the given wall-clock time (month
 * 1-12). Like Python's `zoneinfo` with fold=0, which the training pipeline uses: a time
 * skipped by a spring-forward gap takes the offset in force before the switch, and an
 * ambiguous fall-back time resolves to its first instant.
 */
export function zonedTimeToEpochMs(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const naive = Date.UTC(year, month - 1, day, hour, minute, second);
  const before = utcOffsetMs(naive - 14 * 3_600_000, timeZone);
  const after = utcOffsetMs(naive + 14 * 3_600_000, timeZone);
  const first = naive - before;
  if (before === after || utcOffsetMs(first, timeZone) === before) return first;
  const later = naive - after;
  return utcOffsetMs(later, timeZone) === after ? later : first;
}
