// Formatting of sizes, dates, relative times and durations for the UI, with the browser's locale.

import { S } from './strings.js';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return S.format.unknown;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 })} ${UNITS[unit]}`;
}

/** A date and time in the browser's zone, or in `timeZone` when given. */
export function formatDate(iso: string | null, timeZone?: string): string {
  if (!iso) return S.format.unknown;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return S.format.unknown;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) });
}

const RELATIVE: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

export function formatRelative(iso: string | null, now = Date.now()): string {
  if (!iso) return '';
  const seconds = (new Date(iso).getTime() - now) / 1000;
  if (Number.isNaN(seconds)) return '';
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, size] of RELATIVE) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return S.format.justNow;
}

/** "Nov 26, 2026, 4:45 AM (in 15 hours)" */
export function formatWhen(iso: string | null, timeZone?: string): string {
  if (!iso) return S.format.unknown;
  const rel = formatRelative(iso);
  return rel ? `${formatDate(iso, timeZone)} (${rel})` : formatDate(iso, timeZone);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return S.format.unknown;
  if (seconds < 1) return S.format.underASecond;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A file-name-safe local date-time, as in Home Assistant's emergency kit name. */
export function fileStamp(d = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_${pad(d.getHours())}-${pad(d.getMinutes())}`;
}
