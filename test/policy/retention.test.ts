// Table tests for the retention policy (src/policy/retention.ts): Home Assistant's count and age
// rules (global and per agent, overrides, the date-string ordering quirk, "never the newest"),
// manual/uploaded/foreign backups left alone, Lifeboat's generational tiers, and the reasons.

import { describe, expect, it } from 'vitest';
import {
  describeRetention,
  planRetention,
  type RetentionBackup,
  type RetentionConfig,
  type RetentionMode,
  type RetentionPlan,
} from '../../src/policy/retention.js';
import { isoWeek, periodKey } from '../../src/policy/generational.js';
import { zonedInstant } from '../../src/policy/zoned-time.js';
import type { ManagerBackup } from '../../src/manager/backup-records.js';
import { formatIsoLocal, instantFromDate } from '../../src/util/time.js';

const TZ = 'Europe/Berlin';
const NOW = new Date('2026-07-15T10:00:00Z');
const LOCAL = 'backup.local';
const S3 = 's3.offsite';

function bk(id: string, date: string, agents: string[] = [LOCAL], auto: boolean | null = true): RetentionBackup {
  return {
    backup_id: id,
    date,
    agents: Object.fromEntries(agents.map((a) => [a, { protected: false, size: 1 }])),
    with_automatic_settings: auto,
  };
}

/** A backup made `daysAgo` days before NOW (UTC offset +02:00, as Berlin in summer). */
function ago(id: string, daysAgo: number, agents: string[] = [LOCAL], auto: boolean | null = true): RetentionBackup {
  const d = new Date(NOW.getTime() - daysAgo * 86_400_000);
  return bk(id, formatIsoLocal(instantFromDate(d), TZ), agents, auto);
}

function config(partial: Partial<RetentionConfig> = {}): RetentionConfig {
  return { retention: { copies: null, days: null }, agents: {}, generational: null, ...partial };
}

function plan(
  backups: RetentionBackup[],
  cfg: RetentionConfig,
  mode: RetentionMode = 'count',
  now = NOW,
  timeZone = TZ,
): RetentionPlan {
  return planRetention({ backups, config: cfg, now, timeZone, mode });
}

/** backup id → sorted agent ids it is deleted from. */
const deletions = (p: RetentionPlan) => Object.fromEntries(p.deletions.map((d) => [d.backupId, d.agentIds]));
const keptIds = (p: RetentionPlan) => p.kept.map((k) => k.backupId);

describe('count selection (§7.3)', () => {
  const five = [
    bk('b1', '2026-07-01T04:45:00+02:00'),
    bk('b2', '2026-07-02T04:45:00+02:00'),
    bk('b3', '2026-07-03T04:45:00+02:00'),
    bk('b4', '2026-07-04T04:45:00+02:00'),
    bk('b5', '2026-07-05T04:45:00+02:00'),
  ];

  it.each<{ name: string; backups: RetentionBackup[]; cfg: RetentionConfig; expected: Record<string, string[]> }>([
    {
      name: 'global copies 3 of 5 ⇒ the 2 oldest go',
      backups: [...five].reverse(), // input order does not matter
      cfg: config({ retention: { copies: 3, days: null } }),
      expected: { b1: [LOCAL], b2: [LOCAL] },
    },
    {
      name: 'global copies larger than the count ⇒ nothing',
      backups: five,
      cfg: config({ retention: { copies: 10, days: null } }),
      expected: {},
    },
    {
      name: 'no copies anywhere ⇒ nothing',
      backups: five,
      cfg: config({ retention: { copies: null, days: 1 } }),
      expected: {},
    },
    {
      name: 'global mode counts by backup id across agents and deletes from every holder',
      backups: [
        bk('a', '2026-07-01T04:45:00+02:00', [LOCAL, S3]),
        bk('b', '2026-07-02T04:45:00+02:00', [LOCAL]),
        bk('c', '2026-07-03T04:45:00+02:00', [S3]),
      ],
      cfg: config({ retention: { copies: 2, days: null } }),
      expected: { a: [LOCAL, S3] },
    },
    {
      name: 'per agent: an agent retention object switches every agent to per-agent counting',
      backups: [
        bk('a', '2026-07-01T04:45:00+02:00', [LOCAL, S3]),
        bk('b', '2026-07-02T04:45:00+02:00', [LOCAL, S3]),
        bk('c', '2026-07-03T04:45:00+02:00', [LOCAL, S3]),
      ],
      cfg: config({
        retention: { copies: 2, days: null },
        agents: { [S3]: { protected: true, retention: { copies: 1, days: null } } },
      }),
      expected: { a: [LOCAL, S3], b: [S3] },
    },
    {
      name: 'per agent: global null ⇒ agents without their own retention keep everything',
      backups: [
        bk('a', '2026-07-01T04:45:00+02:00', [LOCAL, S3]),
        bk('b', '2026-07-02T04:45:00+02:00', [LOCAL, S3]),
      ],
      cfg: config({ agents: { [S3]: { protected: true, retention: { copies: 1, days: null } } } }),
      expected: { a: [S3] },
    },
    {
      name: 'agent override with copies null ⇒ keep everything on that agent',
      backups: [
        bk('a', '2026-07-01T04:45:00+02:00', [LOCAL, S3]),
        bk('b', '2026-07-02T04:45:00+02:00', [LOCAL, S3]),
        bk('c', '2026-07-03T04:45:00+02:00', [LOCAL, S3]),
      ],
      cfg: config({
        retention: { copies: 1, days: null },
        agents: { [S3]: { protected: false, retention: { copies: null, days: 30 } } },
      }),
      expected: { a: [LOCAL], b: [LOCAL] },
    },
    {
      name: 'agent entries with retention null do not leave global mode',
      backups: [
        bk('a', '2026-07-01T04:45:00+02:00', [LOCAL, S3]),
        bk('b', '2026-07-02T04:45:00+02:00', [LOCAL]),
      ],
      cfg: config({ retention: { copies: 1, days: null }, agents: { [S3]: { protected: true, retention: null } } }),
      // global mode: 'a' deleted from both; the safety rule keeps it on S3 (its only backup there)
      expected: { a: [LOCAL] },
    },
  ])('$name', ({ backups, cfg, expected }) => {
    expect(deletions(plan(backups, cfg))).toEqual(expected);
  });

  it('reasons name the limit and the location', () => {
    const p = plan(five, config({ retention: { copies: 3, days: null } }));
    expect(p.deletions.map((d) => d.reason)).toEqual([
      'more than 3 automatic backups in total',
      'more than 3 automatic backups in total',
    ]);
    expect(p.kept.map((k) => k.reason)).toEqual(Array(3).fill('one of the newest 3 automatic backups in total'));

    const q = plan(
      [bk('a', '2026-07-01T04:45:00+02:00', [LOCAL, S3]), bk('b', '2026-07-02T04:45:00+02:00', [LOCAL, S3])],
      config({
        retention: { copies: 1, days: null },
        agents: { [S3]: { protected: true, retention: { copies: null, days: null } } },
      }),
    );
    expect(q.deletions).toEqual([
      {
        backupId: 'a',
        date: '2026-07-01T04:45:00+02:00',
        agentIds: [LOCAL],
        reason: 'more than 1 automatic backup on backup.local',
        reasons: { [LOCAL]: 'more than 1 automatic backup on backup.local' },
      },
    ]);
    expect(q.kept.find((k) => k.backupId === 'a')?.reasons).toEqual({
      [S3]: 'no copies limit on s3.offsite (its own retention)',
    });
  });
});

describe('age selection (§7.4)', () => {
  const backups = [ago('d10', 10), ago('d8', 8), ago('d6', 6), ago('d1', 1)];

  it.each<{ name: string; backups: RetentionBackup[]; cfg: RetentionConfig; expected: Record<string, string[]> }>([
    {
      name: 'global days 7',
      backups,
      cfg: config({ retention: { copies: null, days: 7 } }),
      expected: { d10: [LOCAL], d8: [LOCAL] },
    },
    {
      name: 'exactly 7 days old is not older than 7 days; 1 ms more is',
      backups: [
        bk('edge', '2026-07-08T12:00:00+02:00'), // = NOW − 7 days
        bk('over', '2026-07-08T11:59:59.999+02:00'),
        bk('new', '2026-07-15T11:00:00+02:00'),
      ],
      cfg: config({ retention: { copies: null, days: 7 } }),
      expected: { over: [LOCAL] },
    },
    {
      name: 'dates are compared as instants, whatever their offset',
      backups: [bk('ny', '2026-07-08T05:59:00-04:00'), bk('utc', '2026-07-08T10:01:00Z'), ago('new', 0)],
      cfg: config({ retention: { copies: null, days: 7 } }),
      expected: { ny: [LOCAL] },
    },
    {
      name: 'per-agent days override; the others follow the global days',
      backups: [ago('d40', 40, [LOCAL, S3]), ago('d10', 10, [LOCAL, S3]), ago('d1', 1, [LOCAL, S3])],
      cfg: config({
        retention: { copies: null, days: 7 },
        agents: { [S3]: { protected: true, retention: { copies: null, days: 30 } } },
      }),
      expected: { d40: [LOCAL, S3], d10: [LOCAL] },
    },
    {
      name: 'agent override with days null ⇒ keep everything on it',
      backups: [ago('d40', 40, [LOCAL, S3]), ago('d1', 1, [LOCAL, S3])],
      cfg: config({
        retention: { copies: null, days: 7 },
        agents: { [S3]: { protected: true, retention: { copies: 1, days: null } } },
      }),
      expected: { d40: [LOCAL] },
    },
    {
      name: 'count mode ignores days, age mode ignores copies',
      backups,
      cfg: config({ retention: { copies: 3, days: null } }),
      expected: {},
    },
  ])('$name', ({ backups: list, cfg, expected }) => {
    expect(deletions(plan(list, cfg, 'age'))).toEqual(expected);
  });

  it('count mode does not apply days', () => {
    expect(deletions(plan(backups, config({ retention: { copies: null, days: 7 } }), 'count'))).toEqual({});
  });

  it('reason: older than N days', () => {
    const p = plan(backups, config({ retention: { copies: null, days: 7 } }), 'age');
    expect(p.deletions.map((d) => d.reason)).toEqual(['older than 7 days', 'older than 7 days']);
    expect(p.kept.map((k) => k.reason)).toEqual(['not older than 7 days', 'not older than 7 days']);
  });
});

describe('mode both: count, then age on what remains', () => {
  it('unions the two purges with per-agent reasons', () => {
    const backups = [ago('d20', 20, [LOCAL, S3]), ago('d9', 9, [LOCAL, S3]), ago('d5', 5, [LOCAL, S3]), ago('d2', 2, [LOCAL, S3]), ago('d1', 1, [LOCAL, S3])];
    const cfg = config({
      retention: { copies: 4, days: null },
      agents: { [S3]: { protected: true, retention: { copies: null, days: 7 } } },
    });
    const p = plan(backups, cfg, 'both');
    expect(deletions(p)).toEqual({ d20: [LOCAL, S3], d9: [S3] });
    expect(p.deletions[0]?.reasons).toEqual({
      [LOCAL]: 'more than 4 automatic backups on backup.local',
      [S3]: 'older than 7 days',
    });
    expect(p.deletions[0]?.reason).toBe('backup.local: more than 4 automatic backups on backup.local; s3.offsite: older than 7 days');
    // d9 stays on LOCAL, with both passes' reasons
    expect(p.kept.find((k) => k.backupId === 'd9')?.reasons).toEqual({
      [LOCAL]: 'one of the newest 4 automatic backups on backup.local; no age limit on backup.local',
    });
    // count alone and age alone give the two halves
    expect(deletions(plan(backups, cfg, 'count'))).toEqual({ d20: [LOCAL] });
    expect(deletions(plan(backups, cfg, 'age'))).toEqual({ d20: [S3], d9: [S3] });
  });

  it('global copies and days together', () => {
    const backups = [ago('d20', 20), ago('d9', 9), ago('d5', 5), ago('d2', 2), ago('d1', 1)];
    const p = plan(backups, config({ retention: { copies: 4, days: 7 } }), 'both');
    expect(deletions(p)).toEqual({ d20: [LOCAL], d9: [LOCAL] });
    expect(p.deletions.map((d) => d.reason)).toEqual(['more than 4 automatic backups in total', 'older than 7 days']);
  });
});

describe('only automatic backups of this installation (§7.2 step 2)', () => {
  it.each<{ name: string; auto: boolean | null; reason: RegExp }>([
    { name: 'manual (with_automatic_settings false)', auto: false, reason: /manual/ },
    { name: 'uploaded or foreign (with_automatic_settings null)', auto: null, reason: /uploaded or foreign/ },
  ])('$name: never selected, not counted', ({ auto, reason }) => {
    const backups = [
      ago('old-other', 100, [LOCAL], auto),
      ago('auto-old', 50),
      ago('other', 20, [LOCAL, S3], auto),
      ago('auto-new', 1),
    ];
    for (const mode of ['count', 'age', 'both'] as const) {
      const p = plan(backups, config({ retention: { copies: 1, days: 7 } }), mode);
      expect(deletions(p)).toEqual({ 'auto-old': [LOCAL] });
      expect(p.ignored.map((i) => i.backupId)).toEqual(['old-other', 'other']);
      expect(p.ignored[0]?.reason).toMatch(reason);
      expect(keptIds(p)).toEqual(['auto-new']);
    }
  });
});

describe('never the newest automatic backup on an agent (safety rule)', () => {
  it('copies=1 with two agents where one holds only an older copy', () => {
    const backups = [bk('old', '2026-07-01T04:45:00+02:00', [LOCAL, S3]), bk('new', '2026-07-02T04:45:00+02:00', [LOCAL])];
    const p = plan(backups, config({ retention: { copies: 1, days: null } }));
    expect(deletions(p)).toEqual({ old: [LOCAL] });
    const old = p.kept.find((k) => k.backupId === 'old');
    expect(old?.agentIds).toEqual([S3]);
    expect(old?.protectedOn).toEqual([S3]);
    expect(old?.reason).toBe(
      'never delete the newest automatic backup on s3.offsite (otherwise: more than 1 automatic backup in total)',
    );
  });

  it('everything older than the age limit: the newest stays on each agent', () => {
    const backups = [ago('d30', 30, [LOCAL, S3]), ago('d20', 20, [LOCAL]), ago('d10', 10, [S3])];
    const p = plan(backups, config({ retention: { copies: null, days: 7 } }), 'age');
    expect(deletions(p)).toEqual({ d30: [LOCAL, S3] });
    expect(p.kept.map((k) => [k.backupId, k.protectedOn])).toEqual([
      ['d20', [LOCAL]],
      ['d10', [S3]],
    ]);
  });

  it('both passes protect; the newest survives count then age', () => {
    const backups = [ago('d30', 30), ago('d20', 20)];
    const p = plan(backups, config({ retention: { copies: 1, days: 7 } }), 'both');
    expect(deletions(p)).toEqual({ d30: [LOCAL] });
    expect(p.kept).toHaveLength(1);
    expect(p.kept[0]?.protectedOn).toEqual([LOCAL]);
    expect(p.kept[0]?.reasons[LOCAL]).toBe(
      'the newest automatic backup in total; never delete the newest automatic backup on backup.local (otherwise: older than 7 days)',
    );
  });

  it('the rule only fires when everything on the agent is selected', () => {
    const backups = [ago('d30', 30), ago('d20', 20), ago('d1', 1)];
    const p = plan(backups, config({ retention: { copies: null, days: 7 } }), 'age');
    expect(deletions(p)).toEqual({ d30: [LOCAL], d20: [LOCAL] });
    expect(p.kept.every((k) => k.protectedOn.length === 0)).toBe(true);
  });
});

describe('ordering by the date string (HA quirk)', () => {
  // 23:30+02:00 is 21:30 UTC, older than 22:00+00:00; as strings, "…T22:00…" sorts first.
  const x = bk('x-older-instant', '2026-07-01T23:30:00+02:00');
  const y = bk('y-newer-instant', '2026-07-01T22:00:00+00:00');

  it('count selection deletes the string-oldest, even though it is the newer instant', () => {
    expect(deletions(plan([x, y], config({ retention: { copies: 1, days: null } })))).toEqual({
      'y-newer-instant': [LOCAL],
    });
  });

  it('the safety rule also keeps the string-newest', () => {
    const p = plan([x, y], config({ retention: { copies: null, days: 1 } }), 'age');
    expect(deletions(p)).toEqual({ 'y-newer-instant': [LOCAL] });
    expect(p.kept[0]?.backupId).toBe('x-older-instant');
    expect(p.kept[0]?.protectedOn).toEqual([LOCAL]);
  });

  it('deletions are listed in date-string order, ties in input order', () => {
    const same = '2026-07-01T04:45:00+02:00';
    const p = plan(
      [bk('t2', same), bk('t1', same), bk('late', '2026-07-03T04:45:00+02:00'), bk('early', '2026-06-01T04:45:00+02:00')],
      config({ retention: { copies: 1, days: null } }),
    );
    expect(p.deletions.map((d) => d.backupId)).toEqual(['early', 't2', 't1']);
  });
});

describe('generational retention', () => {
  const gfs = { daily: 7, weekly: 4, monthly: 12, yearly: 2 };
  const now = zonedInstant(TZ, 2026, 7, 15, 12, 0); // Wednesday

  /** One automatic backup a day at 04:45 Berlin time for the 365 days up to 2026-07-15. */
  function yearOfDailies(agents: string[] = [LOCAL]): RetentionBackup[] {
    const out: RetentionBackup[] = [];
    for (let i = 364; i >= 0; i--) {
      const day = new Date(Date.UTC(2026, 6, 15 - i));
      const when = zonedInstant(TZ, day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), 4, 45);
      const local = formatIsoLocal(instantFromDate(when), TZ);
      out.push(bk(`b-${local.slice(0, 10)}`, local, agents));
    }
    return out;
  }

  it('a year of daily backups: the expected keepers per tier', () => {
    const backups = yearOfDailies();
    expect(backups[0]?.backup_id).toBe('b-2025-07-16');
    const p = plan(backups, config({ retention: { copies: 2, days: 3 }, generational: gfs }), 'count', now);
    const tiers = p.generational[LOCAL];
    expect(tiers?.daily.map((t) => t.period)).toEqual([
      '2026-07-15', '2026-07-14', '2026-07-13', '2026-07-12', '2026-07-11', '2026-07-10', '2026-07-09',
    ]);
    expect(tiers?.weekly).toEqual([
      { period: '2026-W29', id: 'b-2026-07-15' },
      { period: '2026-W28', id: 'b-2026-07-12' },
      { period: '2026-W27', id: 'b-2026-07-05' },
      { period: '2026-W26', id: 'b-2026-06-28' },
    ]);
    expect(tiers?.monthly.map((t) => t.id)).toEqual([
      'b-2026-07-15', 'b-2026-06-30', 'b-2026-05-31', 'b-2026-04-30', 'b-2026-03-31', 'b-2026-02-28',
      'b-2026-01-31', 'b-2025-12-31', 'b-2025-11-30', 'b-2025-10-31', 'b-2025-09-30', 'b-2025-08-31',
    ]);
    expect(tiers?.yearly).toEqual([
      { period: '2026', id: 'b-2026-07-15' },
      { period: '2025', id: 'b-2025-12-31' },
    ]);
    // 7 daily + 2 more weekly + 11 more monthly; the yearly keepers are already kept.
    expect(p.kept).toHaveLength(20);
    expect(p.deletions).toHaveLength(345);
    expect(keptIds(p)).toContain('b-2026-07-15'); // the newest
    expect(p.kept.every((k) => k.protectedOn.length === 0)).toBe(true);
    expect(p.kept.at(-1)?.reason).toBe('kept as daily 2026-07-15, weekly 2026-W29, monthly 2026-07, yearly 2026');
    // the global copies/days are replaced: age mode gives the same plan
    expect(deletions(plan(backups, config({ retention: { copies: 2, days: 3 }, generational: gfs }), 'age', now))).toEqual(
      deletions(p),
    );
  });

  it('reasons for what goes', () => {
    const p = plan(yearOfDailies(), config({ generational: gfs }), 'count', now);
    const why = (id: string) => p.deletions.find((d) => d.backupId === id)?.reason;
    expect(why('b-2026-07-08')).toBe('not the newest of its week (keep 4 weekly)');
    expect(why('b-2026-03-15')).toBe('not the newest of its month (keep 12 monthly)');
    expect(why('b-2025-07-31')).toBe('not the newest of its year (keep 2 yearly)');
    const q = plan(yearOfDailies(), config({ generational: { daily: 3, weekly: 0, monthly: 0, yearly: 0 } }), 'count', now);
    expect(q.deletions[0]?.reason).toBe('outside every kept period (keep 3 daily)');
    expect(q.kept).toHaveLength(3);
  });

  it('applying the plan and planning again deletes nothing more', () => {
    const backups = yearOfDailies();
    const first = plan(backups, config({ generational: gfs }), 'both', now);
    const gone = new Set(first.deletions.map((d) => d.backupId));
    const later = new Date(now.getTime() + 3_600_000);
    expect(plan(backups.filter((b) => !gone.has(b.backup_id)), config({ generational: gfs }), 'both', later).deletions).toEqual([]);
  });

  it('several backups a day: the newest of the day is kept', () => {
    const backups = [
      bk('mon-a', '2026-07-13T01:00:00+02:00'),
      bk('mon-b', '2026-07-13T23:59:00+02:00'),
      bk('tue-a', '2026-07-14T00:01:00+02:00'),
      bk('tue-b', '2026-07-14T12:00:00+02:00'),
    ];
    const p = plan(backups, config({ generational: { daily: 2, weekly: 0, monthly: 0, yearly: 0 } }), 'count', now);
    expect(keptIds(p)).toEqual(['mon-b', 'tue-b']);
    expect(p.deletions.map((d) => d.reason)).toEqual([
      'not the newest of its day (keep 2 daily)',
      'not the newest of its day (keep 2 daily)',
    ]);
  });

  it('periods are calendar periods in the given time zone', () => {
    // 00:30 on 1 March in Berlin is still 28 February in UTC and in New York.
    const backups = [bk('feb', '2026-02-28T20:00:00+01:00'), bk('mar', '2026-03-01T00:30:00+01:00')];
    const rule = config({ generational: { daily: 0, weekly: 0, monthly: 2, yearly: 0 } });
    expect(deletions(plan(backups, rule, 'count', now, 'Europe/Berlin'))).toEqual({});
    const ny = plan(backups, rule, 'count', now, 'America/New_York');
    expect(deletions(ny)).toEqual({ feb: [LOCAL] });
    expect(ny.deletions[0]?.reason).toBe('not the newest of its month (keep 2 monthly)');
  });

  it('periods without backups do not count (a pause never purges the history)', () => {
    const backups = [ago('m3', 90), ago('m2', 60), ago('m1', 30)];
    const p = plan(backups, config({ generational: { daily: 2, weekly: 0, monthly: 0, yearly: 0 } }), 'age');
    expect(deletions(p)).toEqual({ m3: [LOCAL] });
  });

  it('all tiers 0: everything goes but the newest on each agent', () => {
    const backups = [ago('a', 3, [LOCAL, S3]), ago('b', 2, [LOCAL]), ago('c', 1, [LOCAL])];
    const p = plan(backups, config({ generational: { daily: 0, weekly: 0, monthly: 0, yearly: 0 } }));
    expect(deletions(p)).toEqual({ a: [LOCAL], b: [LOCAL] });
    expect(p.kept.map((k) => [k.backupId, k.agentIds, k.protectedOn])).toEqual([
      ['a', [S3], [S3]],
      ['c', [LOCAL], [LOCAL]],
    ]);
  });

  it('evaluated per agent; agents with their own retention keep HA’s per-agent rules', () => {
    const backups = [
      bk('mon-a', '2026-07-13T01:00:00+02:00', [LOCAL, S3]),
      bk('mon-b', '2026-07-13T20:00:00+02:00', [S3]),
      bk('tue', '2026-07-14T12:00:00+02:00', [LOCAL, S3]),
    ];
    const cfg = config({
      generational: { daily: 7, weekly: 0, monthly: 0, yearly: 0 },
      agents: { 'nas.share': { protected: true, retention: { copies: 1, days: null } } },
    });
    // LOCAL: mon-a is the newest of its Monday there; S3: mon-b is newer on Monday.
    expect(deletions(plan(backups, cfg))).toEqual({ 'mon-a': [S3] });
    const withOwn = config({ ...cfg, agents: { [S3]: { protected: true, retention: { copies: 1, days: null } } } });
    const p = plan(backups, withOwn);
    expect(deletions(p)).toEqual({ 'mon-a': [S3], 'mon-b': [S3] });
    expect(Object.keys(p.generational)).toEqual([LOCAL]);
  });

  it('ISO weeks and period keys', () => {
    expect(isoWeek(2026, 1, 1)).toEqual({ year: 2026, week: 1 });
    expect(isoWeek(2027, 1, 1)).toEqual({ year: 2026, week: 53 });
    expect(isoWeek(2024, 12, 30)).toEqual({ year: 2025, week: 1 });
    const t = Date.parse('2026-12-31T23:30:00Z'); // 1 January 2027, 00:30 in Berlin
    expect(periodKey('daily', t, TZ)).toBe('2027-01-01');
    expect(periodKey('weekly', t, TZ)).toBe('2026-W53');
    expect(periodKey('monthly', t, TZ)).toBe('2027-01');
    expect(periodKey('yearly', t, TZ)).toBe('2027');
    expect(periodKey('yearly', t, 'UTC')).toBe('2026');
  });
});

describe('plan shape', () => {
  it('every deletion and kept backup carries reasons for each of its agents', () => {
    const backups = [
      ago('a', 40, [LOCAL, S3]),
      ago('b', 20, [LOCAL, S3]),
      ago('c', 10, [S3]),
      ago('d', 1, [LOCAL]),
      ago('m', 5, [LOCAL], false),
    ];
    const cfg = config({
      retention: { copies: 2, days: 14 },
      agents: { [S3]: { protected: true, retention: { copies: 1, days: null } } },
    });
    for (const mode of ['count', 'age', 'both'] as const) {
      const p = plan(backups, cfg, mode);
      for (const d of [...p.deletions, ...p.kept]) {
        expect(d.reason.length).toBeGreaterThan(0);
        expect(Object.keys(d.reasons)).toEqual(d.agentIds);
        for (const r of Object.values(d.reasons)) expect(r.length).toBeGreaterThan(0);
      }
      expect(p.ignored).toEqual([{ backupId: 'm', date: backups[4]?.date, reason: expect.stringMatching(/manual/) }]);
    }
  });

  it('accepts ManagerBackup records', () => {
    const record: ManagerBackup = {
      addons: [],
      agents: { [LOCAL]: { protected: false, size: 10 } },
      backup_id: 'mb',
      database_included: true,
      date: '2026-07-01T04:45:00+02:00',
      extra_metadata: {},
      failed_addons: [],
      failed_agent_ids: [],
      failed_folders: [],
      folders: [],
      homeassistant_included: true,
      homeassistant_version: '2026.7.0',
      name: 'Automatic backup 2026.7.0',
      with_automatic_settings: true,
    };
    const p = planRetention({ backups: [record], config: config({ retention: { copies: 1, days: null } }), now: NOW, timeZone: TZ, mode: 'both' });
    expect(keptIds(p)).toEqual(['mb']);
  });

  it('describeRetention', () => {
    expect(describeRetention(config())).toBe('keep everything');
    expect(
      describeRetention(
        config({
          retention: { copies: 3, days: 1 },
          agents: { [S3]: { protected: true, retention: { copies: 1, days: null } }, other: { protected: true, retention: null } },
        }),
      ),
    ).toBe('keep 3 copies, 1 day; s3.offsite: keep 1 copy');
    expect(describeRetention(config({ generational: { daily: 7, weekly: 4, monthly: 0, yearly: 1 } }))).toBe(
      'keep 7 daily, 4 weekly, 1 yearly',
    );
  });
});
