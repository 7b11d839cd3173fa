// The local backup folder (`backup.local`, a folder store in Home Assistant's layout): lists what
// is really there (files dropped in appear, deleted or replaced ones change), reads Home
// Assistant's own backups, skips unreadable files (and reads again one whose reading failed), never
// lists a file that is still being written, and removes temp files left by a crashed process.
import { copyFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempBlobName } from '../../src/agents/blob-store.js';
import type { FolderStore } from '../../src/agents/folder-location.js';
import { createLocalAgent } from '../../src/agents/local-location.js';
import type { StoredBackupAgent } from '../../src/agents/stored-backup-agent.js';
import { BackupNotFound } from '../../src/util/errors.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';

async function agentIn() {
  const dir = await tmpDir();
  const warnings: string[] = [];
  const log = { info() {}, warn: (w: string) => void warnings.push(w), error() {} };
  const agent = createLocalAgent(join(dir, 'backups'), { log });
  await agent.tidy();
  return { dir: join(dir, 'backups'), agent, warnings };
}

const pathFor = (agent: StoredBackupAgent, id: string) => (agent.capabilities.localPath as (id: string) => Promise<string>)(id);

describe('local backup folder', () => {
  it('sees backups dropped in by Home Assistant and forgets deleted ones', async () => {
    const { dir, agent } = await agentIn();
    expect(await agent.list()).toEqual([]);
    await copyFile(fixture('reference-made/backup_core_v3_hunter2.tar'), join(dir, 'Core_2026.9.0.tar'));
    expect((await agent.list()).map((b) => [b.backup_id, b.protected])).toEqual([['d76bc010', true]]);
    expect(await pathFor(agent, 'd76bc010')).toBe(join(dir, 'Core_2026.9.0.tar'));
    await rm(join(dir, 'Core_2026.9.0.tar'));
    expect(await agent.list()).toEqual([]);
    await expect(agent.get('d76bc010')).rejects.toBeInstanceOf(BackupNotFound);
  });

  it('notices a file replaced in place', async () => {
    const { dir, agent } = await agentIn();
    await copyFile(fixture('reference-made/backup_core_plain.tar'), join(dir, 'x.tar'));
    expect((await agent.list())[0]?.protected).toBe(false);
    await copyFile(fixture('supervisor/backup_example.tar'), join(dir, 'x.tar'));
    expect((await agent.list())[0]?.backup_id).toBe('7fed74c8');
  });

  it('skips files that are not readable backups, with a warning', async () => {
    const { dir, agent, warnings } = await agentIn();
    await writeFile(join(dir, 'junk.tar'), 'not a tar at all');
    await copyFile(fixture('third-party/test_protected.tar'), join(dir, 'lenient.tar'));
    const ids = (await agent.list()).map((b) => b.backup_id);
    expect(ids).toEqual(['bc54cb3d']);
    expect(warnings.some((w) => w.includes('junk.tar'))).toBe(true);
  });

  it('lists a backup file again once it can be read, after one read of it failed', async () => {
    const { dir, agent } = await agentIn();
    await copyFile(fixture('reference-made/backup_core_plain.tar'), join(dir, 'x.tar'));
    const store = agent.store as FolderStore;
    const path = store.path.bind(store);
    let failNext = true;
    // The file cannot be opened once (as when a share drops for a moment); its size and time stay.
    store.path = (name) => {
      if (name !== 'x.tar' || !failNext) return path(name);
      failNext = false;
      return join(dir, 'unreachable', name);
    };
    expect(await agent.list()).toEqual([]);
    expect((await agent.list()).map((b) => b.backup_id)).toEqual(['d76bc010']);
  });

  it('lists a stored backup only once it is committed, and removes crash leftovers at open', async () => {
    const { dir, agent } = await agentIn();
    const pending = await (agent.capabilities.reserve as NonNullable<typeof agent.capabilities.reserve>)();
    await copyFile(fixture('reference-made/backup_core_plain.tar'), pending.tempPath);
    expect(await agent.list()).toEqual([]);
    const final = await pending.commit({ name: 'Core 2026.9.0', date: '2026-01-01T00:00:00.000000+00:00' } as never);
    expect(final).toBe(join(dir, 'Core_2026.9.0_2026-01-01_00.00_00000000.tar'));
    expect((await agent.list()).map((b) => b.backup_id)).toEqual(['d76bc010']);

    // The temp name of a process on this machine that is gone, and one of this process's.
    const stale = join(dir, tempBlobName().replace(`-${process.pid}-`, '-999999999-'));
    await writeFile(stale, 'half a backup');
    const mineName = tempBlobName();
    await writeFile(join(dir, mineName), 'in progress elsewhere in this process');
    await createLocalAgent(dir).tidy();
    expect((await readdir(dir)).sort()).toEqual([mineName, 'Core_2026.9.0_2026-01-01_00.00_00000000.tar'].sort());
  });

  it('stores an uploaded stream byte for byte and deletes it again', async () => {
    const { agent } = await agentIn();
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(fixture('reference-made/backup_core_v2_hunter2.tar'));
    const record = { backup_id: 'd76bc010', size: bytes.length, name: 'Core 2026.9.0', date: '2026-01-01T00:00:00.000000+00:00' } as never;
    await agent.upload(record, async function* () {
      yield bytes.subarray(0, 5000);
      yield bytes.subarray(5000);
    });
    const path = await pathFor(agent, 'd76bc010');
    expect((await readFile(path)).equals(bytes)).toBe(true);
    await agent.delete('d76bc010');
    await expect(agent.delete('d76bc010')).rejects.toBeInstanceOf(BackupNotFound);
  });
});
