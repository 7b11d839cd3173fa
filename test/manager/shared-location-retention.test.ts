// On a location shared with Home Assistant (another installation's, or this one's own storage
// integration), retention deletes only this installation's automatic backups, as Home Assistant's
// rules say: another installation's automatic backups and every manual or uploaded backup stay.

import { describe, expect, it } from 'vitest';
import type { AgentBackup } from '../../src/archive/backup-json.js';
import { mergeBackups } from '../../src/manager/backup-records.js';
import type { Catalogue } from '../../src/manager/catalogue.js';
import { planRetention } from '../../src/policy/retention.js';

const HERE = 'a'.repeat(32);
const ELSEWHERE = 'b'.repeat(32);

const backup = (id: string, day: number, instance: string | null, automatic: boolean | null): AgentBackup => ({
  addons: [],
  backup_id: id,
  date: `2026-11-${String(day).padStart(2, '0')}T04:45:00.000000+00:00`,
  database_included: true,
  extra_metadata: { ...(instance ? { instance_id: instance } : {}), ...(automatic === null ? {} : { with_automatic_settings: automatic }) },
  folders: [],
  homeassistant_included: true,
  homeassistant_version: '2026.11.1',
  name: id,
  protected: true,
  size: 10240,
});

describe('retention on a location shared with Home Assistant', () => {
  it("deletes only this installation's automatic backups, oldest first, and never another installation's", () => {
    const onShare = [
      backup('here0001', 1, HERE, true),
      backup('here0002', 2, HERE, true),
      backup('here0003', 3, HERE, true),
      backup('other001', 1, ELSEWHERE, true),
      backup('other002', 2, ELSEWHERE, true),
      backup('manual01', 1, HERE, false),
      backup('upload01', 1, null, null),
    ];
    const catalogue = { get: () => undefined } as unknown as Catalogue;
    const merged = mergeBackups([{ agentId: 's3.shared', backups: onShare }], HERE, catalogue);
    const plan = planRetention({
      backups: merged,
      config: { retention: { copies: 1, days: null }, agents: {} },
      now: new Date('2026-11-10T00:00:00Z'),
      timeZone: 'UTC',
      mode: 'count',
    });
    expect(plan.deletions.map((d) => d.backupId)).toEqual(['here0001', 'here0002']);
    expect(plan.ignored.map((i) => i.backupId).sort()).toEqual(['manual01', 'other001', 'other002', 'upload01']);
  });
});
