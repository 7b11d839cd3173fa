// When the next automatic backup runs: Home Assistant's schedule algorithm (reference §6) as a
// pure function of (schedule, now, time zone, iterator seed, last completed, random source).
// No timers and no clock: the caller keeps the returned `seed` (HA's cron iterator) between calls,
// resets it to null when the schedule is replaced, and arms its own timer at `next`.
//
// Patterns: daily = the minute and hour of `time` (default 04:45) every day; custom_days = the same
// on the listed weekdays; the seconds of `time` are ignored. Lifeboat's `cron` extension replaces
// that pattern when set (and recurrence is not 'never'); a cron schedule gets no random delay, and
// its missed-schedule catch-up uses the cron's minute and hour fields on any day.
//
// Time zone and DST: everything is computed on the wall clock of `timeZone`. A time that does not
// exist on spring-forward day (e.g. 02:30 in Europe/Berlin on the last Sunday of March) runs once,
// shifted forward by the length of the gap (03:30 CEST); a time that exists twice on fall-back day
// (e.g. 01:30 in America/New_York on the first Sunday of November) runs once, at its first
// occurrence (01:30 EDT). See zoned-time.ts.

import { everyDay, nextCronMatch, parseCron, timeOfDayCron, type CronSpec } from './cron.js';
import { DAY_MS, assertTimeZone, fromWall, toWall } from './zoned-time.js';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export type Recurrence = 'never' | 'daily' | 'custom_days';

/** Week order, Monday first (as Home Assistant lists them). */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEKDAY_NUMBER: Record<Weekday, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

export interface ScheduleConfig {
  recurrence: Recurrence;
  days: Weekday[];
  /** 'HH:MM' or 'HH:MM:SS'; null = 04:45 plus a random delay of up to one hour. */
  time: string | null;
  /** Lifeboat extension: a 5-field cron expression replacing the daily/custom_days pattern. */
  cron?: string | null;
}

export interface TimeOfDay {
  hour: number;
  minute: number;
  second: number;
}

export const DEFAULT_TIME: TimeOfDay = { hour: 4, minute: 45, second: 0 };
/** Upper bound (exclusive) of the random delay added when no time is configured. */
export const RANDOM_DELAY_SECONDS = 3600;

export interface NextRunInput {
  schedule: ScheduleConfig;
  now: Date;
  timeZone: string;
  /** The iterator state returned by the previous call; null for a fresh iterator. */
  seed: Date | null;
  /** `last_completed_automatic_backup`; seeds a fresh iterator (else `now` does). */
  lastCompleted: Date | null;
  /** Uniform in [0, 1); called once per call, and only when a random delay applies. */
  random: () => number;
}

export interface NextRun {
  /** When the next automatic backup runs (random delay included); null = not scheduled. */
  next: Date | null;
  /** `next_automatic_backup_additional`: a catch-up run before the next regular one. */
  additional: boolean;
  /** Iterator state to pass as `seed` next time (null when not scheduled). */
  seed: Date | null;
}

/**
 * Parses 'HH:MM' or 'HH:MM:SS' (one- or two-digit parts, as Home Assistant's parse_time accepts).
 * Returns null when the text is not a valid time of day.
 */
export function parseTime(text: string): TimeOfDay | null {
  const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(text.trim());
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  const second = Number(m[3] ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return null;
  return { hour, minute, second };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** 'HH:MM:SS', the form Home Assistant stores. */
export function formatTime(t: TimeOfDay): string {
  return `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

function cronText(schedule: ScheduleConfig): string | null {
  const text = schedule.cron?.trim();
  return text ? text : null;
}

export interface EffectivePattern {
  pattern: CronSpec;
  /** Used for the missed-schedule catch-up: the time of day on any weekday. */
  anyDay: CronSpec;
  randomDelay: boolean;
}

/** The effective pattern, or null when nothing is scheduled. Throws on an invalid time or cron. */
export function effectivePattern(schedule: ScheduleConfig): EffectivePattern | null {
  if (schedule.recurrence === 'never') return null;
  const cron = cronText(schedule);
  if (cron !== null) {
    const parsed = parseCron(cron);
    if (!parsed.ok) throw new RangeError(`invalid cron schedule "${cron}": ${parsed.error}`);
    return { pattern: parsed.cron, anyDay: everyDay(parsed.cron), randomDelay: false };
  }
  if (schedule.recurrence === 'custom_days' && schedule.days.length === 0) return null;
  let time = DEFAULT_TIME;
  if (schedule.time !== null) {
    const parsed = parseTime(schedule.time);
    if (!parsed) throw new RangeError(`invalid schedule time "${schedule.time}"`);
    time = parsed;
  }
  const anyDay = timeOfDayCron(time.hour, time.minute);
  const pattern =
    schedule.recurrence === 'daily'
      ? anyDay
      : timeOfDayCron(time.hour, time.minute, [...new Set(schedule.days.map((d) => WEEKDAY_NUMBER[d]))]);
  return { pattern, anyDay, randomDelay: schedule.time === null };
}

/**
 * Home Assistant's next-run computation (§6):
 * 1. never / custom_days without days ⇒ nothing scheduled.
 * 2. candidate = the first pattern match strictly after the seed's minute (seed = `seed`, else
 *    `lastCompleted`, else `now`); the returned seed is the candidate.
 * 3. Missed schedule (candidate before now): the run is the next occurrence of the time of day after
 *    now on any weekday; additional = it comes before the pattern's next match after now; the
 *    returned seed is now + 1 day (same wall-clock time tomorrow, as Python's aware-datetime
 *    arithmetic does).
 * 4. Without a configured time, add a fresh random delay of floor(random() × 3600) seconds.
 */
export function nextRun(input: NextRunInput): NextRun {
  const { schedule, now, timeZone } = input;
  const effective = effectivePattern(schedule);
  if (!effective) return { next: null, additional: false, seed: null };
  assertTimeZone(timeZone);
  const nowMs = now.getTime();
  const seedMs = (input.seed ?? input.lastCompleted ?? now).getTime();

  let run = nextCronMatch(effective.pattern, seedMs, timeZone);
  if (run === null) return { next: null, additional: false, seed: null };
  let seed = run;
  let additional = false;
  if (run < nowMs) {
    const catchUp = nextCronMatch(effective.anyDay, nowMs, timeZone);
    const regular = nextCronMatch(effective.pattern, nowMs, timeZone);
    if (catchUp === null) return { next: null, additional: false, seed: null };
    seed = fromWall(toWall(nowMs, timeZone) + DAY_MS, timeZone);
    additional = regular === null || catchUp < regular;
    run = catchUp;
  }
  if (effective.randomDelay) run += randomDelaySeconds(input.random) * 1000;
  return { next: new Date(run), additional, seed: new Date(seed) };
}

/** Whole seconds in [0, 3599]. */
function randomDelaySeconds(random: () => number): number {
  const r = random();
  const s = Math.floor((Number.isFinite(r) ? r : 0) * RANDOM_DELAY_SECONDS);
  return Math.min(RANDOM_DELAY_SECONDS - 1, Math.max(0, s));
}

/** For humans: "daily at 04:45 (+ up to 1 h random delay)", "Mon, Thu at 21:30", "cron 0 3 * * 1-5". */
export function describeSchedule(config: ScheduleConfig): string {
  if (config.recurrence === 'never') return 'never';
  const cron = cronText(config);
  if (cron !== null) return `cron ${cron}`;
  if (config.recurrence === 'custom_days' && config.days.length === 0) return 'never (no days selected)';
  let at: string;
  if (config.time === null) {
    at = `${pad(DEFAULT_TIME.hour)}:${pad(DEFAULT_TIME.minute)} (+ up to 1 h random delay)`;
  } else {
    const t = parseTime(config.time);
    at = t ? `${pad(t.hour)}:${pad(t.minute)}` : `"${config.time}" (invalid time)`;
  }
  if (config.recurrence === 'daily') return `daily at ${at}`;
  const days = WEEKDAYS.filter((d) => config.days.includes(d)).map((d) => d[0]?.toUpperCase() + d.slice(1));
  return `${days.join(', ')} at ${at}`;
}

/** Problems with a schedule, for settings validation (empty = valid). */
export function validateSchedule(config: ScheduleConfig): string[] {
  const problems: string[] = [];
  if (!['never', 'daily', 'custom_days'].includes(config.recurrence)) {
    problems.push(`unknown recurrence "${String(config.recurrence)}"`);
  }
  const unknown = config.days.filter((d) => !WEEKDAYS.includes(d));
  if (unknown.length > 0) problems.push(`unknown weekday(s): ${unknown.join(', ')}`);
  if (new Set(config.days).size !== config.days.length) problems.push('weekdays must be unique');
  if (config.time !== null && parseTime(config.time) === null) {
    problems.push(`time "${config.time}" is not HH:MM or HH:MM:SS`);
  }
  const cron = cronText(config);
  if (cron !== null) {
    const parsed = parseCron(cron);
    if (!parsed.ok) problems.push(`cron "${cron}": ${parsed.error}`);
  }
  return problems;
}
