// Backup files Lifeboat writes are readable by their owner only (0600): a backup holds the
// installation's secrets and is often unencrypted. Checked for a folder location's temp file while
// it is being written and for the stored file, for a backup made into the local folder, and for
// any file the shared writer creates.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderStore } from '../../src/agents/folder-location.js';
import { isTempName } from '../../src/agents/blob-store.js';
import { dataFolder } from '../../src/manager/data-folder.js';
import { FileWriter } from '../../src/util/file-writer.js';
import { makeInstallation } from '../helpers/installation.js';
import { openManager } from '../helpers/manager.js';
import { tmpDir } from '../helpers/tmp.js';

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('modes of the backup files Lifeboat writes', () => {
  it("a folder location's temp file and stored backup are 0600", async () => {
    const dir = await tmpDir();
    const store = new FolderStore(dir, { marker: false, agentId: 'folder.test' });
    const tempModes: number[] = [];
    async function* data(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(1 << 20, 1);
      for (const name of await readdir(dir)) if (isTempName(name)) tempModes.push(await modeOf(join(dir, name)));
      yield Buffer.alloc(1 << 20, 2);
    }
    await store.put('abc.tar', data(), {});
    expect(tempModes).toEqual([0o600]);
    expect(await modeOf(join(dir, 'abc.tar'))).toBe(0o600);
  });

  it('a backup made into the local backup folder is 0600', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const manager = await openManager({ installation: inst });
    const created = await manager.create({ password: 'key' });
    expect(await modeOf(created.path as string)).toBe(0o600);
    const backups = dataFolder(inst).backups;
    for (const name of (await readdir(backups)).filter((n) => n.endsWith('.tar'))) expect(`${name} ${(await modeOf(join(backups, name))).toString(8)}`).toBe(`${name} 600`);
  });

  it('every file of the shared writer (downloads, received uploads) is 0600 unless asked otherwise', async () => {
    const path = join(await tmpDir(), 'download.tar.partial');
    const out = await FileWriter.create(path);
    await out.write(Buffer.from('backup bytes'));
    await out.finish();
    expect(await modeOf(path)).toBe(0o600);
  });
});
