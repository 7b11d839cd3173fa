// Time formatting in Home Assistant's conventions: ISO 8601 with the installation's UTC offset and
// microseconds (Python's datetime.isoformat()). Pure functions; the instant is always passed in.

/** An instant with microsecond precision. */
export interface Instant {
  /** Milliseconds since the epoch (integer). */
  readonly epochMs: number;
  /** Extra microseconds within the millisecond, 0–999. */
  readonly micros: number;
}

export function instantFromDate(date: Date, micros = 0): Instant {
  return { epochMs: date.getTime(), micros };
}

/** The current time, with sub-millisecond precision where the platform provides it. */
export function nowInstant(): Instant {
  const t = performance.timeOrigin + performance.now();
  const epochMs = Math.floor(t);
  const micros = Math.min(999, Math.floor((t - epochMs) * 1000));
  return { epochMs, micros };
}

/**
 * A time zone to compute in: an IANA name, or null for this machine's own zone, whose offsets come
 * from the runtime's Date without Intl's time-zone data (a few MiB of resident memory once loaded).
 */
export type Zone = string | null;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Offset of `timeZone` from UTC at the given instant, in minutes (east positive); `null` is this
 * machine's own zone (as `TZ` or the system sets it), which needs no Intl time-zone data (a few MiB
 * of resident memory once loaded).
 */
export function zoneOffsetMinutes(epochMs: number, timeZone: Zone): number {
  if (timeZone === null) return -new Date(epochMs).getTimezoneOffset() || 0;
  if (timeZone === 'UTC') return 0;
  let fmt = offsetFormatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(timeZone, fmt);
  }
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(new Date(epochMs))) parts[p.type] = p.value;
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const wholeSeconds = Math.floor(epochMs / 1000) * 1000;
  return Math.round((asUtc - wholeSeconds) / 60000);
}

/**
 * The machine's own time zone name, as an IANA name every client can use. `TZ` counts only when it
 * names a zone (`TZ=Europe/Berlin`); POSIX forms (`UTC0`, `:/etc/localtime`) or an empty `TZ`
 * leave the zone the runtime resolved, and an unknown one is UTC.
 */
export function localTimeZone(): string {
  const resolved = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return resolved && isTimeZone(resolved) && resolved !== 'Etc/Unknown' ? resolved : 'UTC';
}

/** Whether `name` is a time zone that `Intl` knows. */
export function isTimeZone(name: string): boolean {
  if (!name) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Formats an instant as Python's `datetime.isoformat()` would for an aware datetime in `timeZone`:
 * `2026-07-02T04:45:13.123456+02:00`. As in Python, the fraction is omitted when it is zero.
 * `timeZone` null is this machine's zone.
 */
export function formatIsoLocal(instant: Instant, timeZone: Zone = 'UTC'): string {
  const offset = zoneOffsetMinutes(instant.epochMs, timeZone);
  const local = new Date(instant.epochMs + offset * 60000);
  const usec = local.getUTCMilliseconds() * 1000 + instant.micros;
  const base =
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const frac = usec === 0 ? '' : `.${pad(usec, 6)}`;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${base}${frac}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Parsed pieces of an ISO 8601 date-time string, keeping its own offset (no conversion). */
export interface IsoParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micros: number;
  /** Offset in minutes, or null for a naive time. */
  offsetMinutes: number | null;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

export function parseIsoParts(text: string): IsoParts | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const frac = (m[7] ?? '').padEnd(6, '0').slice(0, 6);
  let offsetMinutes: number | null = null;
  const tz = m[8];
  if (tz) {
    if (tz.toUpperCase() === 'Z') offsetMinutes = 0;
    else {
      const digits = tz.slice(1).replace(':', '');
      const mins = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
      offsetMinutes = tz[0] === '-' ? -mins : mins;
    }
  }
  return {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
    micros: Number(frac),
    offsetMinutes,
  };
}

/** Milliseconds since the epoch for an ISO string (naive times are taken as UTC), or NaN. */
export function isoToEpochMs(text: string): number {
  const p = parseIsoParts(text);
  if (!p) return Number.NaN;
  const utc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, Math.floor(p.micros / 1000));
  return utc - (p.offsetMinutes ?? 0) * 60000;
}
