// Five-field cron patterns (minute hour day-of-month month day-of-week) matched against wall-clock
// time in an IANA time zone. Used for Home Assistant's own schedule patterns ("45 4 * * mon,thu")
// and for Lifeboat's `cron` schedule extension. Pure functions.
//
// Syntax: `*`, `n`, `a-b`, `*/s`, `a-b/s`, `n/s` (n to the end, step s), comma lists; month names
// jan–dec, weekday names sun–sat (case-insensitive), weekday 0 or 7 = Sunday; the macros @yearly,
// @annually, @monthly, @weekly, @daily, @midnight, @hourly. As in Vixie cron (and Home Assistant's
// cronsim), when both day-of-month and day-of-week are restricted (neither starts with `*`), a day
// matches if EITHER matches.
//
// Matching walks local wall-clock minutes; each matching wall time resolves to an instant with the
// DST rules of zoned-time.ts (a time in the spring-forward gap runs shifted by the gap length, a
// time in the fall-back overlap runs once, at its first occurrence).

import { DAY_MS, HOUR_MS, MINUTE_MS, fromWall, startOfWallDay, toWall, wallFields } from './zoned-time.js';

export interface CronSpec {
  /** The expression as written (trimmed). */
  source: string;
  minutes: readonly number[];
  hours: readonly number[];
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday */
  weekdays: ReadonlySet<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

export type CronParseResult = { ok: true; cron: CronSpec } | { ok: false; error: string };

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Value of names[0]. */
  nameBase?: number;
}

const FIELDS: FieldDef[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, nameBase: 0 },
];

function parseValue(text: string, def: FieldDef): number {
  const lower = text.toLowerCase();
  const named = def.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (def.nameBase ?? 0);
  if (!/^\d+$/.test(text)) throw new Error(`${def.name} field: "${text}" is not a number`);
  const n = Number(text);
  if (n < def.min || n > def.max) throw new Error(`${def.name} field: ${n} is out of range ${def.min}-${def.max}`);
  return n;
}

function parseField(text: string, def: FieldDef): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') throw new Error(`${def.name} field: empty list item in "${text}"`);
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw new Error(`${def.name} field: "${part}" has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new Error(`${def.name} field: bad step "${stepText}"`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = def.min;
      hi = def.max;
    } else if (range.includes('-')) {
      const [a = '', b = '', more] = range.split('-');
      if (more !== undefined) throw new Error(`${def.name} field: bad range "${range}"`);
      lo = parseValue(a, def);
      hi = parseValue(b, def);
      if (lo > hi) throw new Error(`${def.name} field: range "${range}" runs backwards`);
    } else {
      lo = parseValue(range, def);
      hi = stepText !== undefined ? def.max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses a 5-field cron expression (or a macro such as @daily). */
export function parseCron(text: string): CronParseResult {
  const source = text.trim();
  const expanded = MACROS[source.toLowerCase()] ?? source;
  const parts = expanded.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) {
    return { ok: false, error: `a cron expression has 5 fields (minute hour day month weekday), got ${parts.length}` };
  }
  try {
    const sets = parts.map((p, i) => parseField(p, FIELDS[i] as FieldDef));
    const [minutes, hours, dom, months, dowRaw] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
    const weekdays = new Set([...dowRaw].map((d) => d % 7));
    return {
      ok: true,
      cron: {
        source,
        minutes: [...minutes].sort((a, b) => a - b),
        hours: [...hours].sort((a, b) => a - b),
        daysOfMonth: dom,
        months,
        weekdays,
        domRestricted: !(parts[2] ?? '*').startsWith('*'),
        dowRestricted: !(parts[4] ?? '*').startsWith('*'),
      },
    };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

const span = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

/** A pattern matching minute `minute` of hour `hour` on the given weekdays (all when omitted). */
export function timeOfDayCron(hour: number, minute: number, weekdays?: readonly number[]): CronSpec {
  const restricted = weekdays !== undefined;
  return {
    source: `${minute} ${hour} * * ${restricted ? weekdays.join(',') : '*'}`,
    minutes: [minute],
    hours: [hour],
    daysOfMonth: new Set(span(1, 31)),
    months: new Set(span(1, 12)),
    weekdays: new Set(restricted ? weekdays : span(0, 6)),
    domRestricted: false,
    dowRestricted: restricted,
  };
}

/** The same minutes and hours on every day (the day, month and weekday fields dropped). */
export function everyDay(spec: CronSpec): CronSpec {
  const minute = spec.minutes.length === 60 ? '*' : spec.minutes.join(',');
  const hour = spec.hours.length === 24 ? '*' : spec.hours.join(',');
  return {
    ...spec,
    source: `${minute} ${hour} * * *`,
    daysOfMonth: new Set(span(1, 31)),
    months: new Set(span(1, 12)),
    weekdays: new Set(span(0, 6)),
    domRestricted: false,
    dowRestricted: false,
  };
}

function dayMatches(spec: CronSpec, month: number, day: number, weekday: number): boolean {
  if (!spec.months.has(month)) return false;
  const dom = spec.daysOfMonth.has(day);
  const dow = spec.weekdays.has(weekday);
  if (spec.domRestricted && spec.dowRestricted) return dom || dow;
  return dom && dow;
}

/** Longest search: 8 years covers every satisfiable pattern (29 February across a skipped leap year). */
const SEARCH_DAYS = 8 * 366 + 1;

/**
 * The first instant (epoch ms) strictly after `afterMs`'s minute whose local wall time in
 * `timeZone` matches `spec`, or null if the pattern never matches (e.g. 30 February). Wall times
 * are visited in order and resolved with the DST rules of zoned-time.ts; a resolved instant that
 * is not after `afterMs` (a repeated or shifted wall time already passed) is skipped.
 */
export function nextCronMatch(spec: CronSpec, afterMs: number, timeZone: string): number | null {
  const startWall = Math.floor(toWall(afterMs, timeZone) / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  let day = startOfWallDay(startWall);
  for (let i = 0; i < SEARCH_DAYS; i++, day += DAY_MS) {
    const f = wallFields(day);
    if (!dayMatches(spec, f.month, f.day, f.weekday)) continue;
    for (const h of spec.hours) {
      for (const m of spec.minutes) {
        const wall = day + h * HOUR_MS + m * MINUTE_MS;
        if (wall < startWall) continue;
        const instant = fromWall(wall, timeZone);
        if (instant > afterMs) return instant;
      }
    }
  }
  return null;
}
