// Upload streams read into reused buffers: a location whose store sends or copies each chunk
// before asking for the next (SFTP) asks for them, and its copy is still byte-exact and verified,
// across a ring of buffers turned over hundreds of times; one that holds chunks for write-behind
// (a folder) does not ask.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OpenOptions } from '../../src/agents/agent.js';
import { createLocationAgent } from '../../src/agents/location-registry.js';
import { readFileChunks } from '../../src/archive/byte-source.js';
import { BackupManager } from '../../src/manager/backup-manager.js';
import { collect } from '../../src/util/chunks.js';
import { makeInstallation } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';
import { startTarget, useTarget } from './location-targets.js';

async function backupFile() {
  const dir = await tmpDir();
  const inst = join(dir, 'config');
  await makeInstallation(inst);
  const manager = await BackupManager.open({ installation: inst, timeZone: 'UTC' });
  const created = await manager.create();
  return { backup: created.backup, path: created.path as string };
}

describe('upload streams into reused buffers', () => {
  const sftp = useTarget('sftp');

  it('an SFTP location asks for reused chunks, and its verified copy is byte-exact', async () => {
    const { backup, path } = await backupFile();
    const { agent, close } = createLocationAgent({ ...sftp().spec, verify: true }, sftp().secrets);
    try {
      const asked: (OpenOptions | undefined)[] = [];
      // Small chunks, so the ring of three buffers is reused hundreds of times.
      await agent.upload(backup, (opts) => {
        asked.push(opts);
        return readFileChunks(path, { reuse: opts?.reuseChunks === true, chunk: 64 });
      });
      expect(asked).toEqual([{ reuseChunks: true }]);
      expect(backup.size / 64).toBeGreaterThan(100);
      const copy = await collect(await agent.download(backup.backup_id));
      expect(copy.equals(await readFile(path))).toBe(true);
    } finally {
      await close();
    }
  });

  it('a folder location, which keeps chunks for write-behind, does not', async () => {
    const { backup, path } = await backupFile();
    const target = await startTarget('folder');
    const { agent, close } = createLocationAgent(target.spec, target.secrets);
    try {
      const asked: (OpenOptions | undefined)[] = [];
      await agent.upload(backup, (opts) => {
        asked.push(opts);
        return readFileChunks(path, { reuse: opts?.reuseChunks === true });
      });
      expect(asked).toEqual([{ reuseChunks: false }]);
    } finally {
      await close();
    }
  });
});
