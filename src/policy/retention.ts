// What automatic backups to delete, and why: Home Assistant's retention rules (reference §7.2–7.4)
// plus Lifeboat's generational policy, as a pure plan that the manager executes and that
// `retention preview` prints. No I/O; `now` and the time zone are arguments.
//
// Home Assistant's rules, reproduced exactly:
//   * Only backups with `with_automatic_settings === true` are considered; manual, uploaded and
//     foreign backups are never selected (they appear in `ignored`).
//   * count ('copies'): global mode when the global copies is set and no agent has a retention
//     object: the oldest (total − copies) backups, counted by backup id, are deleted from every
//     agent holding them. Otherwise per agent: the agent's own copies if it has a retention object
//     (null there ⇒ keep everything on it), else the global copies (null ⇒ keep everything).
//   * age ('days'): the same structure; a backup is selected when date + days < now (instants).
//   * "Oldest" means the `date` STRING in ascending order (HA's quirk: backups written with
//     different UTC offsets can be misordered); ties keep input order.
//   * Safety rule, per agent: if the number selected on an agent ≥ the number of automatic
//     backups on it, the newest selected one is dropped from that agent's selection, so the newest
//     automatic backup on each agent is never deleted.
// Modes: 'count' is the purge after each backup, 'age' the daily purge, 'both' runs count then age
// on what remains (each with its own safety rule), as at Lifeboat's start-up (§15 item 5).
//
// Generational (Lifeboat): when `generational` is set it replaces the global copies AND days
// rules, in every mode: for each agent without its own retention object, the automatic backups on
// that agent are thinned to the newest of each of the last N days / ISO weeks / months / years that
// contain a backup, in `timeZone` (see generational.ts); everything else is selected. Agents with
// their own retention object keep HA's per-agent copies/days. The safety rule still applies.

import {
  describeGenerational,
  selectGenerational,
  type GenerationalRule,
  type Tier,
  type TierKeep,
} from './generational.js';
import { isoToEpochMs, type Zone } from '../util/time.js';

export interface RetentionRule {
  copies: number | null;
  days: number | null;
}

export interface AgentRetentionSettings {
  protected?: boolean;
  /** null = follow the global rule. */
  retention: RetentionRule | null;
}

export interface RetentionConfig {
  retention: RetentionRule;
  agents: Record<string, AgentRetentionSettings>;
  generational?: GenerationalRule | null;
}

/** The part of a ManagerBackup that retention looks at. */
export interface RetentionBackup {
  backup_id: string;
  /** ISO 8601 with offset. */
  date: string;
  agents: Record<string, unknown>;
  with_automatic_settings: boolean | null;
}

export type RetentionMode = 'count' | 'age' | 'both';

export interface RetentionInput {
  backups: readonly RetentionBackup[];
  config: RetentionConfig;
  now: Date;
  /** The zone of the generational rule's calendar (null: this machine's own). */
  timeZone: Zone;
  mode: RetentionMode;
}

export interface PlannedDeletion {
  backupId: string;
  date: string;
  /** Agents to delete it from (sorted). */
  agentIds: string[];
  /** One line for humans. */
  reason: string;
  /** agent id → why it goes from that agent. */
  reasons: Record<string, string>;
}

export interface KeptBackup {
  backupId: string;
  date: string;
  /** Agents it stays on (sorted). */
  agentIds: string[];
  reason: string;
  reasons: Record<string, string>;
  /** Agents where it was selected but kept as the newest automatic backup there (safety rule). */
  protectedOn: string[];
}

export interface IgnoredBackup {
  backupId: string;
  date: string;
  reason: string;
}

export interface RetentionPlan {
  mode: RetentionMode;
  /** Oldest first (date string order), the order Home Assistant deletes in. */
  deletions: PlannedDeletion[];
  /** Automatic backups that stay, oldest first. */
  kept: KeptBackup[];
  /** Backups retention never touches (not automatic backups of this installation). */
  ignored: IgnoredBackup[];
  /** agent id → the generational keepers per tier (agents under the generational rule only). */
  generational: Record<string, Record<Tier, TierKeep[]>>;
}

interface Working {
  backup: RetentionBackup;
  index: number;
  epochMs: number;
  agents: Set<string>;
}

interface Verdict {
  selected: boolean;
  reason: string;
}

/** backup id → agent id → verdict */
type Verdicts = Map<string, Map<string, Verdict>>;

type PassKind = 'count' | 'age';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Home Assistant's include filter: automatic backups made by this installation. */
export function isAutomatic(backup: RetentionBackup): boolean {
  return backup.with_automatic_settings === true;
}

function byDateString(a: Working, b: Working): number {
  if (a.backup.date < b.backup.date) return -1;
  if (a.backup.date > b.backup.date) return 1;
  return a.index - b.index;
}

function setVerdict(v: Verdicts, backupId: string, agentId: string, verdict: Verdict): void {
  let m = v.get(backupId);
  if (!m) v.set(backupId, (m = new Map()));
  m.set(agentId, verdict);
}

function byAgent(working: readonly Working[]): Map<string, Working[]> {
  const out = new Map<string, Working[]>();
  for (const w of working) {
    for (const agentId of w.agents) {
      const list = out.get(agentId) ?? [];
      list.push(w);
      out.set(agentId, list);
    }
  }
  return out;
}

/** Selects with a copies/days value over `items` (one agent's, or all by id in global mode). */
function selectByRule(
  kind: PassKind,
  value: number,
  items: readonly Working[],
  nowMs: number,
  where: string,
): Map<Working, Verdict> {
  const out = new Map<Working, Verdict>();
  if (kind === 'count') {
    const sorted = [...items].sort(byDateString);
    const excess = Math.max(sorted.length - value, 0);
    sorted.forEach((w, i) =>
      out.set(
        w,
        i < excess
          ? { selected: true, reason: `more than ${plural(value, 'automatic backup')}${where}` }
          : {
              selected: false,
              reason: value === 1 ? `the newest automatic backup${where}` : `one of the newest ${value} automatic backups${where}`,
            },
      ),
    );
  } else {
    for (const w of items) {
      if (!Number.isFinite(w.epochMs)) {
        out.set(w, { selected: false, reason: `date "${w.backup.date}" not understood` });
      } else if (w.epochMs + value * 86_400_000 < nowMs) {
        out.set(w, { selected: true, reason: `older than ${plural(value, 'day')}` });
      } else {
        out.set(w, { selected: false, reason: `not older than ${plural(value, 'day')}` });
      }
    }
  }
  return out;
}

interface PassResult {
  verdicts: Verdicts;
  generational: Record<string, Record<Tier, TierKeep[]>>;
}

function runPass(kind: PassKind, working: readonly Working[], input: RetentionInput): PassResult {
  const { config } = input;
  const nowMs = input.now.getTime();
  const verdicts: Verdicts = new Map();
  const generational: Record<string, Record<Tier, TierKeep[]>> = {};
  const field = kind === 'count' ? 'copies' : 'days';
  const gfs = config.generational ?? null;
  const global = config.retention[field];
  const overrides = new Map<string, RetentionRule>();
  for (const [agentId, a] of Object.entries(config.agents)) if (a.retention) overrides.set(agentId, a.retention);

  if (!gfs && global !== null && overrides.size === 0) {
    // Global mode: counted by backup id across all agents, deleted from every agent holding it.
    for (const [w, verdict] of selectByRule(kind, global, working, nowMs, kind === 'count' ? ' in total' : '')) {
      for (const agentId of w.agents) setVerdict(verdicts, w.backup.backup_id, agentId, verdict);
    }
    return { verdicts, generational };
  }

  for (const [agentId, items] of byAgent(working)) {
    const own = overrides.get(agentId);
    const value = own ? own[field] : global;
    if (!own && gfs) {
      const result = selectGenerational(
        items.map((w) => ({ id: w.backup.backup_id, epochMs: w.epochMs, date: w.backup.date })),
        gfs,
        input.timeZone,
      );
      generational[agentId] = result.tiers;
      for (const w of items) {
        const id = w.backup.backup_id;
        const sel = result.selected.get(id);
        const verdict: Verdict =
          sel !== undefined
            ? { selected: true, reason: sel }
            : { selected: false, reason: result.kept.get(id) ?? `date "${w.backup.date}" not understood` };
        setVerdict(verdicts, id, agentId, verdict);
      }
      continue;
    }
    if (value === null) {
      const what = kind === 'count' ? 'copies' : 'age';
      const reason = `no ${what} limit on ${agentId}${own ? ' (its own retention)' : ''}`;
      for (const w of items) setVerdict(verdicts, w.backup.backup_id, agentId, { selected: false, reason });
      continue;
    }
    const where = kind === 'count' ? ` on ${agentId}` : '';
    for (const [w, verdict] of selectByRule(kind, value, items, nowMs, where)) {
      setVerdict(verdicts, w.backup.backup_id, agentId, verdict);
    }
  }
  return { verdicts, generational };
}

/**
 * HA's safety rule: per agent, if everything on it is selected, the newest selected (by date
 * string) stays. Returns agent id → backup id of each protected backup, and flips its verdict.
 */
function applySafetyRule(verdicts: Verdicts, working: readonly Working[]): Map<string, Set<string>> {
  const protectedOn = new Map<string, Set<string>>();
  for (const [agentId, items] of byAgent(working)) {
    const selected = items
      .filter((w) => verdicts.get(w.backup.backup_id)?.get(agentId)?.selected === true)
      .sort(byDateString);
    const newest = selected[selected.length - 1];
    if (newest === undefined || selected.length < items.length) continue;
    const id = newest.backup.backup_id;
    const would = verdicts.get(id)?.get(agentId)?.reason ?? '';
    setVerdict(verdicts, id, agentId, {
      selected: false,
      reason: `never delete the newest automatic backup on ${agentId} (otherwise: ${would})`,
    });
    const set = protectedOn.get(id) ?? new Set<string>();
    set.add(agentId);
    protectedOn.set(id, set);
  }
  return protectedOn;
}

function summarise(reasons: Record<string, string>): string {
  const distinct = [...new Set(Object.values(reasons))];
  if (distinct.length <= 1) return distinct[0] ?? '';
  return Object.entries(reasons)
    .map(([agentId, r]) => `${agentId}: ${r}`)
    .join('; ');
}

function ignoredReason(b: RetentionBackup): string {
  return b.with_automatic_settings === false
    ? 'made without automatic settings (manual backup): never deleted by retention'
    : 'not an automatic backup of this installation (uploaded or foreign): never deleted by retention';
}

/** The retention plan for the given backups, settings and time. */
export function planRetention(input: RetentionInput): RetentionPlan {
  const ignored: IgnoredBackup[] = [];
  const merged = new Map<string, Working>();
  input.backups.forEach((backup, index) => {
    if (!isAutomatic(backup)) {
      ignored.push({ backupId: backup.backup_id, date: backup.date, reason: ignoredReason(backup) });
      return;
    }
    const existing = merged.get(backup.backup_id);
    if (existing) {
      for (const a of Object.keys(backup.agents)) existing.agents.add(a);
      return;
    }
    merged.set(backup.backup_id, {
      backup,
      index,
      epochMs: isoToEpochMs(backup.date),
      agents: new Set(Object.keys(backup.agents)),
    });
  });
  const all = [...merged.values()];
  let working: Working[] = all.map((w) => ({ ...w, agents: new Set(w.agents) }));

  const deleted = new Map<string, Map<string, string>>();
  const keptReasons = new Map<string, Map<string, string[]>>();
  const protectedOn = new Map<string, Set<string>>();
  let generational: RetentionPlan['generational'] = {};

  const passes: PassKind[] = input.mode === 'both' ? ['count', 'age'] : [input.mode];
  for (const kind of passes) {
    const { verdicts, generational: tiers } = runPass(kind, working, input);
    generational = { ...generational, ...tiers };
    for (const [id, agents] of applySafetyRule(verdicts, working)) {
      const set = protectedOn.get(id) ?? new Set<string>();
      for (const a of agents) set.add(a);
      protectedOn.set(id, set);
    }
    for (const w of working) {
      const id = w.backup.backup_id;
      for (const agentId of [...w.agents]) {
        const verdict = verdicts.get(id)?.get(agentId);
        if (!verdict) continue;
        if (verdict.selected) {
          const m = deleted.get(id) ?? new Map<string, string>();
          m.set(agentId, verdict.reason);
          deleted.set(id, m);
          w.agents.delete(agentId);
        } else {
          const m = keptReasons.get(id) ?? new Map<string, string[]>();
          const list = m.get(agentId) ?? [];
          if (!list.includes(verdict.reason)) list.push(verdict.reason);
          m.set(agentId, list);
          keptReasons.set(id, m);
        }
      }
    }
    working = working.filter((w) => w.agents.size > 0);
  }

  const ordered = [...all].sort(byDateString);
  const deletions: PlannedDeletion[] = [];
  const kept: KeptBackup[] = [];
  for (const w of ordered) {
    const id = w.backup.backup_id;
    const gone = deleted.get(id);
    if (gone && gone.size > 0) {
      const reasons = Object.fromEntries([...gone].sort(([a], [b]) => (a < b ? -1 : 1)));
      deletions.push({ backupId: id, date: w.backup.date, agentIds: Object.keys(reasons), reason: summarise(reasons), reasons });
    }
    const stays = [...w.agents].filter((a) => !gone?.has(a)).sort();
    if (stays.length > 0) {
      const byAgentReasons = keptReasons.get(id);
      const reasons: Record<string, string> = {};
      for (const a of stays) reasons[a] = (byAgentReasons?.get(a) ?? ['no retention rule applies']).join('; ');
      kept.push({
        backupId: id,
        date: w.backup.date,
        agentIds: stays,
        reason: summarise(reasons),
        reasons,
        protectedOn: [...(protectedOn.get(id) ?? [])].filter((a) => stays.includes(a)).sort(),
      });
    }
  }
  return { mode: input.mode, deletions, kept, ignored, generational };
}

/** One line for humans: "keep 3 copies, 7 days; backup.local: 2 copies", or the generational tiers. */
export function describeRetention(config: RetentionConfig): string {
  const rule = (r: RetentionRule) => {
    const parts: string[] = [];
    if (r.copies !== null) parts.push(`${r.copies} ${r.copies === 1 ? 'copy' : 'copies'}`);
    if (r.days !== null) parts.push(plural(r.days, 'day'));
    return parts.length === 0 ? 'keep everything' : `keep ${parts.join(', ')}`;
  };
  const head = config.generational ? describeGenerational(config.generational) : rule(config.retention);
  const agents = Object.entries(config.agents)
    .filter(([, a]) => a.retention !== null)
    .map(([id, a]) => `${id}: ${rule(a.retention as RetentionRule)}`);
  return [head, ...agents].join('; ');
}
