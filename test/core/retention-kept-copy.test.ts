// The local folder keeps a backup that no location took until its queued copies land. That copy is
// no retention rule's to count or delete: deleting it could leave the backup nowhere, and counting
// it would push the user's own local backups out.

import { describe, expect, it } from 'vitest';
import { LOCAL_AGENT_ID } from '../../src/agents/agent.js';
import type { CoreParts } from '../../src/core/parts.js';
import { Retention } from '../../src/core/retention.js';
import type { ManagerBackup } from '../../src/manager/backup-records.js';
import type { CatalogueEntry } from '../../src/manager/catalogue.js';
import { clockStartingAt } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

const automatic = (id: string, day: number, agents: string[]): ManagerBackup =>
  ({
    addons: [],
    agents: Object.fromEntries(agents.map((a) => [a, { protected: true, size: 10240 }])),
    backup_id: id,
    database_included: true,
    date: `2026-11-0${day}T04:45:00+00:00`,
    extra_metadata: { with_automatic_settings: true },
    failed_addons: [],
    failed_agent_ids: [],
    failed_folders: [],
    folders: [],
    homeassistant_included: true,
    homeassistant_version: '2026.11.1',
    name: id,
    with_automatic_settings: true,
  }) as ManagerBackup;

function retentionOver(backups: ManagerBackup[], kept: string[], config: object, removed: string[] = []): Retention {
  const catalogue = {
    get: (id: string) => (kept.includes(id) ? ({ backup_id: id, failed_agent_ids: ['s3.down'], database_warnings: [], kept_locally_for_retry: true } as CatalogueEntry) : undefined),
    remove: async (id: string) => void removed.push(id),
  };
  const deleting = { delete: async () => undefined };
  const parts = {
    manager: { list: async () => ({ backups, agentErrors: {} }), catalogue, agent: () => deleting },
    settings: { config: { agents: {}, ...config }, zone: 'UTC' },
    clock: clockStartingAt(new Date('2026-11-10T00:00:00Z')),
    log: silentLogger,
  } as unknown as CoreParts;
  return new Retention(parts);
}

describe('retention and the copy the local folder keeps for a retry', () => {
  it('never deletes it, even as the oldest automatic backup there', async () => {
    const backups = [automatic('kept0001', 1, [LOCAL_AGENT_ID]), automatic('auto0002', 2, [LOCAL_AGENT_ID]), automatic('auto0003', 3, [LOCAL_AGENT_ID])];
    const plan = await retentionOver(backups, ['kept0001'], { retention: { copies: 2, days: null } }).preview('count');
    expect(plan.deletions).toEqual([]);
  });

  it('does not count it against the local folder\'s own backups', async () => {
    const backups = [automatic('auto0001', 1, [LOCAL_AGENT_ID]), automatic('auto0002', 2, [LOCAL_AGENT_ID]), automatic('kept0003', 3, [LOCAL_AGENT_ID])];
    const plan = await retentionOver(backups, ['kept0003'], { retention: { copies: 1, days: null } }).preview('count');
    expect(plan.deletions.map((d) => [d.backupId, d.agentIds])).toEqual([['auto0001', [LOCAL_AGENT_ID]]]);
  });

  it('counts the copies that landed on other locations as usual', async () => {
    const backups = [automatic('kept0001', 1, [LOCAL_AGENT_ID, 's3.up']), automatic('auto0002', 2, ['s3.up']), automatic('auto0003', 3, ['s3.up'])];
    const plan = await retentionOver(backups, ['kept0001'], { retention: { copies: 2, days: null } }).preview('count');
    expect(plan.deletions.map((d) => [d.backupId, d.agentIds])).toEqual([['kept0001', ['s3.up']]]);
  });

  it('keeps the backup\'s record, and so its kept copy, when retention deletes it from another location', async () => {
    const backups = [
      automatic('kept0001', 1, [LOCAL_AGENT_ID, 's3.up']),
      automatic('auto0002', 2, ['s3.up']),
      automatic('auto0003', 3, ['s3.up']),
      automatic('auto0004', 4, ['s3.up']),
    ];
    const removed: string[] = [];
    const run = await retentionOver(backups, ['kept0001'], { retention: { copies: 2, days: null } }, removed).apply('count');
    expect(run.plan.deletions.map((d) => [d.backupId, d.agentIds])).toEqual([
      ['kept0001', ['s3.up']],
      ['auto0002', ['s3.up']],
    ]);
    expect(removed).toEqual(['auto0002']);
  });
});
