// Table tests for the schedule policy (src/policy/schedule.ts): Home Assistant's worked examples,
// never/empty days, the random delay, weekday sets, DST in Europe/Berlin and America/New_York,
// cron expressions, and the run sequence a timer produces by calling nextRun with the returned seed.

import { describe, expect, it, vi } from 'vitest';
import {
  describeSchedule,
  nextRun,
  parseTime,
  validateSchedule,
  type NextRun,
  type ScheduleConfig,
  type Weekday,
} from '../../src/policy/schedule.js';
import { parseCron } from '../../src/policy/cron.js';
import { zonedInstant } from '../../src/policy/zoned-time.js';
import { formatIsoLocal, instantFromDate } from '../../src/util/time.js';

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';

/** A local wall time 'YYYY-MM-DD HH:MM[:SS]' in `tz` as an instant. */
function at(text: string, tz = BERLIN): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) throw new Error(`bad test time ${text}`);
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  return zonedInstant(tz, y, mo, d, h, mi, s);
}

/** An instant as local ISO with offset, e.g. 2026-06-10T04:45:00+02:00. */
const iso = (d: Date | null, tz = BERLIN) => (d === null ? null : formatIsoLocal(instantFromDate(d), tz));

const daily = (time: string | null = '04:45'): ScheduleConfig => ({ recurrence: 'daily', days: [], time });
const days = (list: Weekday[], time: string | null = '04:45'): ScheduleConfig => ({
  recurrence: 'custom_days',
  days: list,
  time,
});
const noRandom = () => {
  throw new Error('random() must not be called when a time is set');
};

interface Start {
  schedule: ScheduleConfig;
  now: Date;
  timeZone?: string;
  seed?: Date | null;
  lastCompleted?: Date | null;
  random?: () => number;
}

function run(s: Start): NextRun {
  return nextRun({
    schedule: s.schedule,
    now: s.now,
    timeZone: s.timeZone ?? BERLIN,
    seed: s.seed ?? null,
    lastCompleted: s.lastCompleted ?? null,
    random: s.random ?? noRandom,
  });
}

/** Simulates the timer: each run fires at its `next`, and nextRun is called again with the seed. */
function sequence(s: Start, count: number): { next: string | null; additional: boolean }[] {
  const tz = s.timeZone ?? BERLIN;
  const out: { next: string | null; additional: boolean }[] = [];
  let r = run(s);
  for (let i = 0; i < count; i++) {
    out.push({ next: iso(r.next, tz), additional: r.additional });
    if (r.next === null || i === count - 1) break;
    r = run({ ...s, now: r.next, seed: r.seed });
  }
  return out;
}

describe('Home Assistant worked examples (§6)', () => {
  // June 2026: Sun 7, Mon 8, Tue 9, Wed 10, Thu 11, Mon 15.
  const lastCompleted = at('2026-06-07 04:50');
  const now = at('2026-06-09 10:00');

  it('daily 04:45, last completed Sunday 04:50, started Tuesday 10:00 ⇒ catch-up Wednesday, not additional', () => {
    const r = run({ schedule: daily('04:45'), now, lastCompleted });
    expect(iso(r.next)).toBe('2026-06-10T04:45:00+02:00');
    expect(r.additional).toBe(false);
    expect(iso(r.seed)).toBe('2026-06-10T10:00:00+02:00'); // now + 1 day
    const after = run({ schedule: daily('04:45'), now: r.next as Date, seed: r.seed });
    expect(iso(after.next)).toBe('2026-06-11T04:45:00+02:00');
    expect(after.additional).toBe(false);
  });

  it('custom_days [mon] ⇒ catch-up Wednesday 04:45, additional, next regular the following Monday', () => {
    const r = run({ schedule: days(['mon']), now, lastCompleted });
    expect(iso(r.next)).toBe('2026-06-10T04:45:00+02:00');
    expect(r.additional).toBe(true);
    const after = run({ schedule: days(['mon']), now: r.next as Date, seed: r.seed });
    expect(iso(after.next)).toBe('2026-06-15T04:45:00+02:00');
    expect(after.additional).toBe(false);
  });

  it('the same as a timer sequence', () => {
    expect(sequence({ schedule: daily('04:45'), now, lastCompleted }, 4)).toEqual([
      { next: '2026-06-10T04:45:00+02:00', additional: false },
      { next: '2026-06-11T04:45:00+02:00', additional: false },
      { next: '2026-06-12T04:45:00+02:00', additional: false },
      { next: '2026-06-13T04:45:00+02:00', additional: false },
    ]);
    expect(sequence({ schedule: days(['mon']), now, lastCompleted }, 3)).toEqual([
      { next: '2026-06-10T04:45:00+02:00', additional: true },
      { next: '2026-06-15T04:45:00+02:00', additional: false },
      { next: '2026-06-22T04:45:00+02:00', additional: false },
    ]);
  });
});

describe('seeding and the missed-schedule rule', () => {
  const cases: {
    name: string;
    schedule: ScheduleConfig;
    now: string;
    seed?: string;
    lastCompleted?: string;
    next: string;
    additional: boolean;
    seedOut: string;
  }[] = [
    {
      name: 'no seed, no last completed ⇒ seeded with now',
      schedule: daily('04:45'),
      now: '2026-06-09 10:00',
      next: '2026-06-10T04:45:00+02:00',
      additional: false,
      seedOut: '2026-06-10T04:45:00+02:00',
    },
    {
      name: 'same day, before the time',
      schedule: daily('04:45'),
      now: '2026-06-09 03:00',
      next: '2026-06-09T04:45:00+02:00',
      additional: false,
      seedOut: '2026-06-09T04:45:00+02:00',
    },
    {
      name: 'last completed yesterday after the time ⇒ today, no catch-up',
      schedule: daily('04:45'),
      now: '2026-06-09 03:00',
      lastCompleted: '2026-06-08 04:50',
      next: '2026-06-09T04:45:00+02:00',
      additional: false,
      seedOut: '2026-06-09T04:45:00+02:00',
    },
    {
      name: 'a stored seed wins over last completed',
      schedule: daily('04:45'),
      now: '2026-06-09 03:00',
      seed: '2026-06-09 04:45',
      lastCompleted: '2026-06-01 04:50',
      next: '2026-06-10T04:45:00+02:00',
      additional: false,
      seedOut: '2026-06-10T04:45:00+02:00',
    },
    {
      name: 'the seed minute itself is excluded (seed 04:45:30 ⇒ tomorrow)',
      schedule: daily('04:45'),
      now: '2026-06-09 04:00',
      seed: '2026-06-09 04:45:30',
      next: '2026-06-10T04:45:00+02:00',
      additional: false,
      seedOut: '2026-06-10T04:45:00+02:00',
    },
    {
      name: 'candidate exactly now is not missed',
      schedule: daily('04:45'),
      now: '2026-06-10 04:45',
      seed: '2026-06-09 04:45',
      next: '2026-06-10T04:45:00+02:00',
      additional: false,
      seedOut: '2026-06-10T04:45:00+02:00',
    },
    {
      name: 'missed, catch-up later today (now 03:00)',
      schedule: daily('04:45'),
      now: '2026-06-09 03:00',
      lastCompleted: '2026-06-01 04:50',
      next: '2026-06-09T04:45:00+02:00',
      additional: false,
      seedOut: '2026-06-10T03:00:00+02:00',
    },
    {
      name: 'missed weekly run, catch-up on a non-listed day is additional',
      schedule: days(['fri']),
      now: '2026-06-13 12:00', // Saturday
      lastCompleted: '2026-06-05 04:50',
      next: '2026-06-14T04:45:00+02:00',
      additional: true,
      seedOut: '2026-06-14T12:00:00+02:00',
    },
    {
      name: 'missed, catch-up coincides with the next listed day ⇒ not additional',
      schedule: days(['sun']),
      now: '2026-06-13 12:00', // Saturday
      lastCompleted: '2026-06-01 04:50',
      next: '2026-06-14T04:45:00+02:00',
      additional: false,
      seedOut: '2026-06-14T12:00:00+02:00',
    },
  ];
  it.each(cases)('$name', (c) => {
    const r = run({
      schedule: c.schedule,
      now: at(c.now),
      seed: c.seed ? at(c.seed) : null,
      lastCompleted: c.lastCompleted ? at(c.lastCompleted) : null,
    });
    expect(iso(r.next)).toBe(c.next);
    expect(r.additional).toBe(c.additional);
    expect(iso(r.seed)).toBe(c.seedOut);
  });
});

describe('nothing scheduled', () => {
  it.each<{ name: string; schedule: ScheduleConfig }>([
    { name: 'never', schedule: { recurrence: 'never', days: [], time: null } },
    { name: 'never with days and time', schedule: { recurrence: 'never', days: ['mon'], time: '04:00' } },
    { name: 'never with a cron', schedule: { recurrence: 'never', days: [], time: null, cron: '0 3 * * *' } },
    { name: 'custom_days without days', schedule: { recurrence: 'custom_days', days: [], time: '04:00' } },
    { name: 'custom_days without days, no time', schedule: { recurrence: 'custom_days', days: [], time: null } },
  ])('$name ⇒ null', ({ schedule }) => {
    const r = run({ schedule, now: at('2026-06-09 10:00'), seed: at('2026-06-01 10:00'), random: () => 0.5 });
    expect(r).toEqual({ next: null, additional: false, seed: null });
  });
});

describe('random delay', () => {
  const base = { now: at('2026-06-09 10:00'), lastCompleted: at('2026-06-09 05:10') };
  it.each([
    { random: 0, next: '2026-06-10T04:45:00+02:00' },
    { random: 0.5, next: '2026-06-10T05:15:00+02:00' },
    { random: 0.9999999, next: '2026-06-10T05:44:59+02:00' },
    { random: 1, next: '2026-06-10T05:44:59+02:00' }, // out-of-contract value clamped below +3600 s
  ])('random() = $random ⇒ $next', ({ random, next }) => {
    const r = run({ ...base, schedule: daily(null), random: () => random });
    expect(iso(r.next)).toBe(next);
    expect(iso(r.seed)).toBe('2026-06-10T04:45:00+02:00'); // the seed never includes the delay
  });

  it('whole seconds, always in [0, 3600)', () => {
    for (const x of [0, 0.0001, 0.123456, 0.5, 0.77777, 0.99999999]) {
      const r = run({ ...base, schedule: daily(null), random: () => x });
      const delay = ((r.next as Date).getTime() - at('2026-06-10 04:45').getTime()) / 1000;
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(3600);
    }
  });

  it('a fresh delay on every call, also for custom days and catch-up runs', () => {
    const values = [0.1, 0.2, 0.3];
    const random = vi.fn(() => values.shift() ?? 0);
    const seq = sequence(
      { schedule: days(['mon', 'wed'], null), now: at('2026-06-09 10:00'), lastCompleted: at('2026-06-01 05:00'), random },
      3,
    );
    expect(seq).toEqual([
      { next: '2026-06-10T04:51:00+02:00', additional: false }, // catch-up Wednesday, + 360 s
      { next: '2026-06-15T04:57:00+02:00', additional: false }, // Monday, + 720 s
      { next: '2026-06-17T05:03:00+02:00', additional: false }, // Wednesday, + 1080 s
    ]);
    expect(random).toHaveBeenCalledTimes(3);
  });

  it('no delay when a time is set (random is never called)', () => {
    const r = run({ ...base, schedule: daily('04:45'), random: noRandom });
    expect(iso(r.next)).toBe('2026-06-10T04:45:00+02:00');
  });
});

describe('weekday sets and times', () => {
  const now = at('2026-06-10 12:00'); // Wednesday
  it.each<{ days: Weekday[]; time: string; runs: string[] }>([
    {
      days: ['sat', 'sun'],
      time: '07:00',
      runs: ['2026-06-13T07:00:00+02:00', '2026-06-14T07:00:00+02:00', '2026-06-20T07:00:00+02:00'],
    },
    {
      days: ['fri', 'mon', 'wed'], // unordered
      time: '21:30',
      runs: ['2026-06-10T21:30:00+02:00', '2026-06-12T21:30:00+02:00', '2026-06-15T21:30:00+02:00', '2026-06-17T21:30:00+02:00'],
    },
    {
      days: ['thu', 'thu'], // duplicates are harmless
      time: '00:00',
      runs: ['2026-06-11T00:00:00+02:00', '2026-06-18T00:00:00+02:00'],
    },
    {
      days: ['wed'], // today, later than now
      time: '23:59',
      runs: ['2026-06-10T23:59:00+02:00', '2026-06-17T23:59:00+02:00'],
    },
    {
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      time: '4:05', // one-digit hour accepted, as Home Assistant's parse_time does
      runs: ['2026-06-11T04:05:00+02:00', '2026-06-12T04:05:00+02:00'],
    },
  ])('$days at $time', ({ days: list, time, runs }) => {
    expect(sequence({ schedule: days(list, time), now }, runs.length).map((r) => r.next)).toEqual(runs);
  });

  it('the seconds of a time are not part of the pattern', () => {
    const seq = sequence({ schedule: days(['mon', 'thu'], '21:30:45'), now }, 3);
    expect(seq.map((r) => r.next)).toEqual([
      '2026-06-11T21:30:00+02:00',
      '2026-06-15T21:30:00+02:00',
      '2026-06-18T21:30:00+02:00',
    ]);
  });

  it('an invalid time throws', () => {
    expect(() => run({ schedule: daily('25:00'), now })).toThrow(/invalid schedule time/);
  });
});

describe('daylight saving time', () => {
  // Europe/Berlin 2026: 29 March 02:00 CET → 03:00 CEST; 25 October 03:00 CEST → 02:00 CET.
  // America/New_York 2026: 8 March 02:00 EST → 03:00 EDT; 1 November 02:00 EDT → 01:00 EST.
  it.each<{ name: string; tz: string; schedule: ScheduleConfig; now: string; runs: string[] }>([
    {
      name: 'Berlin, daily 02:30 across spring-forward: the missing 02:30 runs once at 03:30 CEST',
      tz: BERLIN,
      schedule: daily('02:30'),
      now: '2026-03-27 12:00',
      runs: ['2026-03-28T02:30:00+01:00', '2026-03-29T03:30:00+02:00', '2026-03-30T02:30:00+02:00'],
    },
    {
      name: 'Berlin, daily 02:30 across fall-back: the doubled 02:30 runs once, at its first occurrence',
      tz: BERLIN,
      schedule: daily('02:30'),
      now: '2026-10-24 12:00',
      runs: ['2026-10-25T02:30:00+02:00', '2026-10-26T02:30:00+01:00', '2026-10-27T02:30:00+01:00'],
    },
    {
      name: 'Berlin, daily 04:45 keeps its wall-clock time across both changes',
      tz: BERLIN,
      schedule: daily('04:45'),
      now: '2026-03-28 12:00',
      runs: ['2026-03-29T04:45:00+02:00', '2026-03-30T04:45:00+02:00'],
    },
    {
      name: 'New York, daily 02:30 across spring-forward ⇒ 03:30 EDT',
      tz: NEW_YORK,
      schedule: daily('02:30'),
      now: '2026-03-06 12:00',
      runs: ['2026-03-07T02:30:00-05:00', '2026-03-08T03:30:00-04:00', '2026-03-09T02:30:00-04:00'],
    },
    {
      name: 'New York, daily 01:30 across fall-back: once, at 01:30 EDT',
      tz: NEW_YORK,
      schedule: daily('01:30'),
      now: '2026-10-30 12:00',
      runs: ['2026-10-31T01:30:00-04:00', '2026-11-01T01:30:00-04:00', '2026-11-02T01:30:00-05:00'],
    },
    {
      name: 'New York, Sundays at 01:30 on fall-back day',
      tz: NEW_YORK,
      schedule: days(['sun'], '01:30'),
      now: '2026-10-30 12:00',
      runs: ['2026-11-01T01:30:00-04:00', '2026-11-08T01:30:00-05:00'],
    },
    {
      name: 'New York, hourly cron across fall-back: the repeated 01:30 runs once',
      tz: NEW_YORK,
      schedule: { recurrence: 'daily', days: [], time: null, cron: '30 * * * *' },
      now: '2026-11-01 00:00',
      runs: ['2026-11-01T00:30:00-04:00', '2026-11-01T01:30:00-04:00', '2026-11-01T02:30:00-05:00'],
    },
    {
      name: 'Berlin, half-hourly cron across spring-forward: every instant once',
      tz: BERLIN,
      schedule: { recurrence: 'daily', days: [], time: null, cron: '*/30 * * * *' },
      now: '2026-03-29 01:10',
      runs: [
        '2026-03-29T01:30:00+01:00',
        '2026-03-29T03:00:00+02:00', // wall 02:00, shifted
        '2026-03-29T03:30:00+02:00', // wall 02:30, shifted (the real 03:00/03:30 are not repeated)
        '2026-03-29T04:00:00+02:00',
      ],
    },
  ])('$name', ({ tz, schedule, now, runs }) => {
    const seq = sequence({ schedule, now: at(now, tz), timeZone: tz, random: () => 0 }, runs.length);
    expect(seq.map((r) => r.next)).toEqual(runs);
  });

  it('a UTC-stored now and last completed give the same local answer', () => {
    const r = run({
      schedule: daily('02:30'),
      now: new Date('2026-03-29T00:15:00Z'), // 01:15 CET
      lastCompleted: new Date('2026-03-28T01:30:00.000Z'), // 02:30 CET the day before
    });
    expect(r.next?.toISOString()).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    expect(r.additional).toBe(false);
  });

  it('missed schedule on the day before spring-forward: catch-up at the shifted time, reseeded at the same wall time', () => {
    const r = run({ schedule: daily('02:30'), now: at('2026-03-28 10:00'), lastCompleted: at('2026-03-20 02:35') });
    expect(iso(r.next)).toBe('2026-03-29T03:30:00+02:00');
    expect(r.additional).toBe(false);
    expect(iso(r.seed)).toBe('2026-03-29T10:00:00+02:00'); // now + 1 calendar day, 23 h later
    const after = run({ schedule: daily('02:30'), now: r.next as Date, seed: r.seed });
    expect(iso(after.next)).toBe('2026-03-30T02:30:00+02:00');
  });

  it('missed schedule in New York across fall-back', () => {
    const r = run({
      schedule: days(['sat'], '01:30'),
      now: at('2026-10-31 22:00', NEW_YORK),
      lastCompleted: at('2026-10-17 01:35', NEW_YORK),
      timeZone: NEW_YORK,
    });
    expect(iso(r.next, NEW_YORK)).toBe('2026-11-01T01:30:00-04:00');
    expect(r.additional).toBe(true);
    expect(iso(r.seed, NEW_YORK)).toBe('2026-11-01T22:00:00-05:00');
  });
});

describe('cron schedules', () => {
  const cron = (expr: string, recurrence: ScheduleConfig['recurrence'] = 'daily'): ScheduleConfig => ({
    recurrence,
    days: [],
    time: null,
    cron: expr,
  });

  it('weekdays at 03:00, no random delay', () => {
    const seq = sequence({ schedule: cron('0 3 * * 1-5'), now: at('2026-06-11 12:00'), random: noRandom }, 4);
    expect(seq.map((r) => r.next)).toEqual([
      '2026-06-12T03:00:00+02:00', // Friday
      '2026-06-15T03:00:00+02:00', // Monday
      '2026-06-16T03:00:00+02:00',
      '2026-06-17T03:00:00+02:00',
    ]);
  });

  it('replaces custom_days even when the day list is empty', () => {
    const r = run({ schedule: cron('15 2 1 * *', 'custom_days'), now: at('2026-06-11 12:00') });
    expect(iso(r.next)).toBe('2026-07-01T02:15:00+02:00');
  });

  it('missed: catch-up at the cron’s hour and minute on any day, additional when before the next match', () => {
    const r = run({ schedule: cron('0 3 * * 1-5'), now: at('2026-06-13 10:00'), lastCompleted: at('2026-06-01 03:05') });
    expect(iso(r.next)).toBe('2026-06-14T03:00:00+02:00'); // Sunday
    expect(r.additional).toBe(true);
    const after = run({ schedule: cron('0 3 * * 1-5'), now: r.next as Date, seed: r.seed });
    expect(iso(after.next)).toBe('2026-06-15T03:00:00+02:00');
  });

  it('day-of-month OR day-of-week when both are restricted (Vixie cron)', () => {
    const seq = sequence({ schedule: cron('0 12 13 * fri'), now: at('2026-06-01 00:00') }, 4);
    expect(seq.map((r) => r.next)).toEqual([
      '2026-06-05T12:00:00+02:00', // Friday
      '2026-06-12T12:00:00+02:00', // Friday
      '2026-06-13T12:00:00+02:00', // the 13th
      '2026-06-19T12:00:00+02:00',
    ]);
  });

  it('a pattern that never matches schedules nothing', () => {
    expect(run({ schedule: cron('0 0 30 2 *'), now: at('2026-06-01 00:00') })).toEqual({
      next: null,
      additional: false,
      seed: null,
    });
  });

  it('an invalid cron throws', () => {
    expect(() => run({ schedule: cron('0 3 * *'), now: at('2026-06-01 00:00') })).toThrow(/5 fields/);
  });

  it.each([
    ['@daily', true],
    ['*/15 0-6,22-23 * jan-mar MON-fri', true],
    ['0 3 * * 7', true],
    ['5/10 * * * *', true],
    ['60 * * * *', false],
    ['0 24 * * *', false],
    ['0 0 0 * *', false],
    ['0 0 * 13 *', false],
    ['0 0 * * 8', false],
    ['5-1 * * * *', false],
    ['*/0 * * * *', false],
    ['a * * * *', false],
    ['0 0 * * * *', false],
  ])('parseCron(%s) ok=%s', (text, ok) => {
    expect(parseCron(text).ok).toBe(ok);
  });

  it('expands lists, ranges, steps and names', () => {
    const r = parseCron('*/20 1-3 * jan,dec sun,7,sat');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.cron.minutes).toEqual([0, 20, 40]);
    expect(r.cron.hours).toEqual([1, 2, 3]);
    expect([...r.cron.months].sort((a, b) => a - b)).toEqual([1, 12]);
    expect([...r.cron.weekdays].sort()).toEqual([0, 6]);
  });
});

describe('describeSchedule', () => {
  it.each<[ScheduleConfig, string]>([
    [daily(null), 'daily at 04:45 (+ up to 1 h random delay)'],
    [daily('04:45:00'), 'daily at 04:45'],
    [daily('7:05'), 'daily at 07:05'],
    [days(['thu', 'mon'], '21:30'), 'Mon, Thu at 21:30'],
    [days(['sun'], null), 'Sun at 04:45 (+ up to 1 h random delay)'],
    [days([], '21:30'), 'never (no days selected)'],
    [{ recurrence: 'never', days: ['mon'], time: '21:30' }, 'never'],
    [{ recurrence: 'daily', days: [], time: null, cron: ' 0 3 * * 1-5 ' }, 'cron 0 3 * * 1-5'],
    [{ recurrence: 'daily', days: [], time: '03:00', cron: '' }, 'daily at 03:00'],
    [daily('99:00'), 'daily at "99:00" (invalid time)'],
  ])('%j ⇒ %s', (config, text) => {
    expect(describeSchedule(config)).toBe(text);
  });
});

describe('parseTime and validateSchedule', () => {
  it.each([
    ['04:45', { hour: 4, minute: 45, second: 0 }],
    ['04:45:30', { hour: 4, minute: 45, second: 30 }],
    ['23:59:59', { hour: 23, minute: 59, second: 59 }],
    ['0:00', { hour: 0, minute: 0, second: 0 }],
    [' 12:00 ', { hour: 12, minute: 0, second: 0 }],
    ['24:00', null],
    ['12:60', null],
    ['12:00:60', null],
    ['12', null],
    ['12:00:00:00', null],
    ['noon', null],
    ['12:00:00.5', null],
    ['', null],
  ])('parseTime(%j) ⇒ %j', (text, expected) => {
    expect(parseTime(text)).toEqual(expected);
  });

  it('reports each problem', () => {
    expect(validateSchedule(daily('04:45'))).toEqual([]);
    expect(validateSchedule({ recurrence: 'custom_days', days: [], time: null })).toEqual([]);
    const problems = validateSchedule({
      recurrence: 'custom_days',
      days: ['mon', 'mon', 'xyz' as Weekday],
      time: '4h',
      cron: '0 3 * *',
    });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/unknown weekday.*xyz/);
    expect(problems.join('\n')).toMatch(/unique/);
    expect(problems.join('\n')).toMatch(/"4h"/);
    expect(problems.join('\n')).toMatch(/5 fields/);
  });
});
