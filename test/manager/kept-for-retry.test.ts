// A backup whose every location failed is queued for a retry; until a copy lands, the local folder
// keeps it — even when it was not a target — so the retry has something to send and the backup is
// never nowhere. Once every location it was meant for holds a copy, the local folder lets it go.

import { describe, expect, it } from 'vitest';
import type { BackupAgent } from '../../src/agents/agent.js';
import type { AgentBackup } from '../../src/archive/backup-json.js';
import { LOCAL_AGENT_ID } from '../../src/agents/agent.js';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { BackupAgentUnreachableError, BackupNotFound } from '../../src/util/errors.js';
import { makeInstallation } from '../helpers/installation.js';
import { openManager } from '../helpers/manager.js';
import { tmpDir } from '../helpers/tmp.js';
import { join } from 'node:path';

/** A remote location in memory that refuses every upload while `down`. */
function remote(id: string): BackupAgent & { down: boolean; stored: Map<string, { backup: AgentBackup; bytes: Buffer }> } {
  const [domain, uniqueId] = id.split('.') as [string, string];
  const stored = new Map<string, { backup: AgentBackup; bytes: Buffer }>();
  const held = (backupId: string) => {
    const copy = stored.get(backupId);
    if (!copy) throw new BackupNotFound(backupId);
    return copy;
  };
  return {
    down: true,
    stored,
    domain,
    uniqueId,
    agentId: id,
    name: id,
    capabilities: {},
    async upload(backup, open) {
      if (this.down) throw new BackupAgentUnreachableError(`${id} is unreachable`);
      const chunks: Buffer[] = [];
      for await (const chunk of open()) chunks.push(chunk);
      stored.set(backup.backup_id, { backup, bytes: Buffer.concat(chunks) });
    },
    async download(backupId) {
      const { bytes } = held(backupId);
      return (async function* () {
        yield bytes;
      })();
    },
    async list() {
      return [...stored.values()].map((c) => c.backup);
    },
    async get(backupId) {
      return held(backupId).backup;
    },
    async delete(backupId) {
      held(backupId);
      stored.delete(backupId);
    },
  };
}

/** A clock the test moves forward, so queued copies come due without waiting. */
function movableClock(): Clock & { later(ms: number): void } {
  let offset = 0;
  return {
    now: () => {
      const t = systemClock.now();
      return { epochMs: t.epochMs + offset, micros: t.micros };
    },
    later: (ms) => void (offset += ms),
  };
}

async function setup(remotes: string[], protectedFor?: (agentId: string) => boolean | undefined) {
  const inst = join(await tmpDir(), 'config');
  await makeInstallation(inst);
  const clock = movableClock();
  const manager = await openManager({ installation: inst, clock, protectedFor });
  const agents = remotes.map((id) => remote(id));
  for (const agent of agents) manager.registerAgent(agent);
  const holders = async (backupId: string) => {
    const listing = await manager.list();
    return Object.keys(listing.backups.find((b) => b.backup_id === backupId)?.agents ?? {}).sort();
  };
  return { manager, clock, agents, holders };
}

describe('a backup that no location took', () => {
  it('is kept in the local folder until the queued copy lands, then removed from it', async () => {
    const { manager, clock, agents, holders } = await setup(['s3.only']);
    const [s3] = agents as [ReturnType<typeof remote>];
    const result = await manager.create({ agentIds: ['s3.only'] });
    expect(result.failedAgentIds).toEqual(['s3.only']);
    expect(result.path).not.toBeNull();
    expect(await holders(result.backupId)).toEqual([LOCAL_AGENT_ID]);

    s3.down = false;
    clock.later(3 * 3600_000);
    const run = await manager.retryFailedUploads();
    expect(run.attempted).toEqual([{ backupId: result.backupId, agentId: 's3.only', ok: true }]);
    expect(await holders(result.backupId)).toEqual(['s3.only']);
    expect((await manager.details(result.backupId)).backup?.failed_agent_ids).toEqual([]);
  });

  it('stays in the local folder while one of its locations still has no copy', async () => {
    const { manager, clock, agents, holders } = await setup(['s3.one', 'sftp.two']);
    const [one] = agents as [ReturnType<typeof remote>];
    const result = await manager.create({ agentIds: ['s3.one', 'sftp.two'] });
    expect(result.failedAgentIds.sort()).toEqual(['s3.one', 'sftp.two']);

    one.down = false;
    clock.later(3 * 3600_000);
    await manager.retryFailedUploads();
    expect(await holders(result.backupId)).toEqual([LOCAL_AGENT_ID, 's3.one']);
  });

  it('keeps its queued copy when the location that holds it cannot answer during the retry', async () => {
    const { manager, clock, agents } = await setup(['s3.one', 'sftp.two']);
    const [one, two] = agents as [ReturnType<typeof remote>, ReturnType<typeof remote>];
    two.down = false;
    const result = await manager.create({ agentIds: ['s3.one', 'sftp.two'] });
    expect(result.failedAgentIds).toEqual(['s3.one']);

    one.down = false;
    two.get = async () => {
      throw new BackupAgentUnreachableError('sftp.two did not answer');
    };
    clock.later(3 * 3600_000);
    const run = await manager.retryFailedUploads();
    expect(run.attempted).toEqual([{ backupId: result.backupId, agentId: 's3.one', ok: false }]);
    expect(manager.uploadQueue.list().map((e) => [e.agent_id, e.attempts, e.last_error])).toEqual([['s3.one', 2, 'sftp.two did not answer']]);
  });

  it('is never sent unencrypted to an encrypted location by a retry that holds no key for it', async () => {
    // The local folder keeps backups unencrypted; the remote one wants them encrypted (no entry: encrypted).
    const { manager, clock, agents } = await setup(['s3.only'], (id) => (id === LOCAL_AGENT_ID ? false : undefined));
    const [s3] = agents as [ReturnType<typeof remote>];
    const result = await manager.create({ agentIds: [LOCAL_AGENT_ID, 's3.only'], password: 'given once' });
    expect(result.failedAgentIds).toEqual(['s3.only']);
    expect((await manager.details(result.backupId)).backup?.agents[LOCAL_AGENT_ID]?.protected).toBe(false);

    s3.down = false;
    clock.later(3 * 3600_000);
    const run = await manager.retryFailedUploads();
    expect(run.attempted).toEqual([{ backupId: result.backupId, agentId: 's3.only', ok: false }]);
    expect(s3.stored.size).toBe(0);
    expect(manager.uploadQueue.list().map((e) => e.last_error)).toEqual([expect.stringMatching(/holds no key to encrypt it with: it is not sent there unencrypted/)]);
  });

  it('is not kept locally when one of its locations took it', async () => {
    const { manager, agents, holders } = await setup(['s3.one', 'sftp.two']);
    (agents[0] as ReturnType<typeof remote>).down = false;
    const result = await manager.create({ agentIds: ['s3.one', 'sftp.two'] });
    expect(result.path).toBeNull();
    expect(await holders(result.backupId)).toEqual(['s3.one']);
  });
});
