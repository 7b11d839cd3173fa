// Generational ("grandfather-father-son") retention, Lifeboat's addition to Home Assistant's
// copies/days rules. Pure functions over one location's automatic backups.
//
// For each tier with N > 0, the backups are grouped by calendar period in the installation's time
// zone (local day, ISO 8601 week, month, year); the N most recent periods that contain a backup
// each keep their newest backup (by instant). A backup is kept if any tier keeps it. Tiers are
// independent (a backup can be the daily, weekly and monthly keeper at once), and periods without
// a backup do not count, so a pause in backups never purges the history (restic's semantics).
// Whenever any tier is > 0, the newest backup is kept.

import type { Zone } from '../util/time.js';
import { toWall, wallFields } from './zoned-time.js';

export interface GenerationalRule {
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
}

export type Tier = keyof GenerationalRule;
export const TIERS: readonly Tier[] = ['daily', 'weekly', 'monthly', 'yearly'];
const UNIT: Record<Tier, string> = { daily: 'day', weekly: 'week', monthly: 'month', yearly: 'year' };

export interface GenerationalItem {
  id: string;
  /** Parsed instant; items with NaN are never selected. */
  epochMs: number;
  /** The ISO string, used to break ties. */
  date: string;
}

export interface TierKeep {
  /** '2026-07-15', '2026-W29', '2026-07' or '2026'. */
  period: string;
  id: string;
}

export interface GenerationalResult {
  /** id → "daily 2026-07-15, weekly 2026-W29" for every kept item. */
  kept: Map<string, string>;
  /** id → why it is not kept. */
  selected: Map<string, string>;
  tiers: Record<Tier, TierKeep[]>;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ISO 8601 week-numbering year and week of a calendar date. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const weekday = (new Date(date).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(date + (3 - weekday) * 86_400_000);
  const isoYear = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / (7 * 86_400_000));
  return { year: isoYear, week };
}

/** The calendar period of an instant in `timeZone` for a tier. */
export function periodKey(tier: Tier, epochMs: number, timeZone: Zone): string {
  const f = wallFields(toWall(epochMs, timeZone));
  switch (tier) {
    case 'daily':
      return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}`;
    case 'weekly': {
      const w = isoWeek(f.year, f.month, f.day);
      return `${pad(w.year, 4)}-W${pad(w.week)}`;
    }
    case 'monthly':
      return `${pad(f.year, 4)}-${pad(f.month)}`;
    case 'yearly':
      return pad(f.year, 4);
  }
}

/** "keep 7 daily, 4 weekly, 12 monthly, 1 yearly" (tiers at 0 left out). */
export function describeGenerational(rule: GenerationalRule): string {
  const parts = TIERS.filter((t) => rule[t] > 0).map((t) => `${rule[t]} ${t}`);
  return parts.length === 0 ? 'keep no periods (all tiers 0)' : `keep ${parts.join(', ')}`;
}

function newerThan(a: GenerationalItem, b: GenerationalItem): boolean {
  if (a.epochMs !== b.epochMs) return a.epochMs > b.epochMs;
  return a.date > b.date;
}

export function selectGenerational(
  items: readonly GenerationalItem[],
  rule: GenerationalRule,
  timeZone: Zone,
): GenerationalResult {
  const kept = new Map<string, string[]>();
  const tiers: Record<Tier, TierKeep[]> = { daily: [], weekly: [], monthly: [], yearly: [] };
  const valid = items.filter((i) => Number.isFinite(i.epochMs));
  /** Per tier: item id → its period, and the set of kept periods (window). */
  const periodOf = new Map<Tier, Map<string, string>>();
  const window = new Map<Tier, Set<string>>();

  for (const tier of TIERS) {
    const n = Math.max(0, Math.floor(rule[tier]));
    if (n === 0) continue;
    const ids = new Map<string, string>();
    const newest = new Map<string, GenerationalItem>();
    for (const item of valid) {
      const key = periodKey(tier, item.epochMs, timeZone);
      ids.set(item.id, key);
      const cur = newest.get(key);
      if (!cur || newerThan(item, cur)) newest.set(key, item);
    }
    const periods = [...newest.keys()].sort().reverse().slice(0, n);
    periodOf.set(tier, ids);
    window.set(tier, new Set(periods));
    for (const period of periods) {
      const item = newest.get(period) as GenerationalItem;
      tiers[tier].push({ period, id: item.id });
      const labels = kept.get(item.id) ?? [];
      labels.push(`${tier} ${period}`);
      kept.set(item.id, labels);
    }
  }

  const selected = new Map<string, string>();
  for (const item of valid) {
    if (kept.has(item.id)) continue;
    selected.set(item.id, rejectReason(item.id, rule, periodOf, window));
  }
  return { kept: new Map([...kept].map(([id, labels]) => [id, `kept as ${labels.join(', ')}`])), selected, tiers };
}

/**
 * The finest tier whose kept window contains the item's period but which keeps a newer backup of
 * that period: "not the newest of its week (keep 4 weekly)"; otherwise the item lies outside every
 * kept period.
 */
function rejectReason(
  id: string,
  rule: GenerationalRule,
  periodOf: Map<Tier, Map<string, string>>,
  window: Map<Tier, Set<string>>,
): string {
  for (const tier of TIERS) {
    const period = periodOf.get(tier)?.get(id);
    if (period !== undefined && window.get(tier)?.has(period)) {
      return `not the newest of its ${UNIT[tier]} (keep ${rule[tier]} ${tier})`;
    }
  }
  if (TIERS.every((t) => rule[t] <= 0)) return 'generational retention keeps no periods (all tiers 0)';
  return `outside every kept period (${describeGenerational(rule)})`;
}
