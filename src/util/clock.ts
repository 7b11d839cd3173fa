// The one way Lifeboat reads the wall clock. Every part that needs "now" is given a Clock when it
// is built, so a test sets the time instead of waiting for it. (Elapsed time for pacing and
// progress rates is measured with the monotonic performance.now(), which no test needs to set.)

import { nowInstant, type Instant } from './time.js';

export interface Clock {
  /** The current time, with microseconds (backup dates carry them). */
  now(): Instant;
}

/** The machine's clock. */
export const systemClock: Clock = { now: nowInstant };

/** The current time as milliseconds since the epoch. */
export function nowMs(clock: Clock): number {
  return clock.now().epochMs;
}

/** The current time as a Date (millisecond precision). */
export function nowDate(clock: Clock): Date {
  return new Date(clock.now().epochMs);
}

/** A clock that runs at the machine's pace but started at `start` (tests: "it is 03:59:58 now"). */
export function clockStartingAt(start: Date | number, base: Clock = systemClock): Clock {
  const offset = (typeof start === 'number' ? start : start.getTime()) - base.now().epochMs;
  return {
    now: () => {
      const t = base.now();
      return { epochMs: t.epochMs + offset, micros: t.micros };
    },
  };
}
