// Wall-clock time in an IANA time zone, for the schedule and retention policies: an instant's local
// calendar fields, and a local wall time back to an instant with explicit rules for the DST gap
// and overlap. Pure functions; no Date.now().
//
// A wall time is encoded as a "wall ms" number: Date.UTC(year, month - 1, day, hour, minute, …) of
// the local fields. Arithmetic on it is calendar arithmetic (+ DAY_MS = same time tomorrow).
//
// Resolving a wall time to an instant (fromWall):
//   * it exists once           → that instant;
//   * it does not exist (gap, spring forward) → it is read with the offset in force before the
//     change, i.e. shifted forward by the length of the gap: 02:30 on Europe/Berlin's spring-forward
//     day becomes 03:30 CEST;
//   * it exists twice (overlap, fall back) → the first (earlier, summer-time) occurrence:
//     01:30 on America/New_York's fall-back day is 01:30 EDT, never also 01:30 EST.
// These are the rules of Python's zoneinfo with fold=0 and of Temporal's 'compatible'
// disambiguation.

import { isTimeZone, zoneOffsetMinutes, type Zone } from '../util/time.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Local wall-clock time as Date.UTC of its fields (see the header). */
export type WallMs = number;

export interface WallFields {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

/** Throws a RangeError naming the zone if `timeZone` is not a known IANA zone. */
export function assertTimeZone(timeZone: string): void {
  if (!isTimeZone(timeZone)) throw new RangeError(`unknown time zone "${timeZone}"`);
}

/** The local wall time of an instant. */
export function toWall(epochMs: number, timeZone: Zone): WallMs {
  return epochMs + zoneOffsetMinutes(epochMs, timeZone) * MINUTE_MS;
}

/** The instant of a local wall time, with the gap/overlap rules of the header. */
export function fromWall(wall: WallMs, timeZone: Zone): number {
  // Real zones change offset at most once within ±1 day, so the offsets a day before and a day
  // after are the only candidates.
  const before = zoneOffsetMinutes(wall - DAY_MS, timeZone);
  const after = zoneOffsetMinutes(wall + DAY_MS, timeZone);
  const candidates = [...new Set([wall - before * MINUTE_MS, wall - after * MINUTE_MS])]
    .filter((t) => toWall(t, timeZone) === wall)
    .sort((a, b) => a - b);
  const first = candidates[0];
  if (first !== undefined) return first;
  return wall - before * MINUTE_MS;
}

export function wallFields(wall: WallMs): WallFields {
  const d = new Date(wall);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

export function wallOf(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): WallMs {
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** Midnight (wall) of the wall time's day. */
export function startOfWallDay(wall: WallMs): WallMs {
  return Math.floor(wall / DAY_MS) * DAY_MS;
}

/** The instant of a local wall time given by its fields (gap/overlap rules of the header). */
export function zonedInstant(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): Date {
  return new Date(fromWall(wallOf(year, month, day, hour, minute, second), timeZone));
}
