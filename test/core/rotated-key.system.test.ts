// A backup made before `key rotate` opens through every front end without being given its key:
// the keyring decides which key opens it, in one place. Each front end verifies it, downloads it
// decrypted and restores it — the command line, the WebSocket API, and the HTTP API (whose only
// way to a backup's contents is the download; verify and restore are WebSocket commands).

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withBackupReader } from '../../src/archive/backup-reader.js';
import { verifyBackup } from '../../src/archive/verify.js';
import { runCli } from '../helpers/cli.js';
import { HaWsClient } from '../helpers/ha-ws-client.js';
import { downloadHashed } from '../helpers/http-client.js';
import { makeInstallation } from '../helpers/installation.js';
import { createTokenDirect, startServerInProcess } from '../helpers/lifeboat-server.js';
import { tmpDir } from '../helpers/tmp.js';

interface Made {
  inst: string;
  backupId: string;
  oldKey: string;
  newKey: string;
}

/** An installation whose only backup was encrypted with a key that has since been rotated. */
async function backupBeforeRotation(): Promise<Made> {
  const inst = join(await tmpDir(), 'config');
  await makeInstallation(inst);
  const cli = async (...args: string[]) => {
    const r = await runCli(['-c', inst, ...args]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  await cli('settings', 'update', JSON.stringify({ automatic_backups_configured: true, create_backup: { agent_ids: ['backup.local'] } }));
  const oldKey = (await cli('key', 'show')).split('\n')[0] as string;
  const created = JSON.parse(await cli('backup', 'create', '--automatic', '--json')) as { backup_id: string; protected: boolean };
  expect(created.protected).toBe(true);
  const newKey = (await cli('key', 'rotate')).split('\n')[0] as string;
  expect(newKey).not.toBe(oldKey);
  return { inst, backupId: created.backup_id, oldKey, newKey };
}

/** A decrypted download: an unencrypted backup that verifies without a password. */
async function expectDecrypted(file: string): Promise<void> {
  await withBackupReader(file, async (reader) => {
    expect(reader.backup.protected).toBe(false);
    expect((await verifyBackup(reader, null)).problems).toEqual([]);
  });
}

/** Breaks the configuration, so that a restore shows. */
async function breakConfiguration(inst: string): Promise<string> {
  const original = await readFile(join(inst, 'configuration.yaml'), 'utf8');
  await writeFile(join(inst, 'configuration.yaml'), 'broken: [\n');
  return original;
}

describe('a backup made before key rotate', () => {
  let made: Made;
  beforeAll(async () => {
    made = await backupBeforeRotation();
  });

  it('the command line verifies it, downloads it decrypted and restores it without being given the old key', async () => {
    const { inst, backupId } = made;
    const verify = await runCli(['-c', inst, 'backup', 'verify', backupId]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/verified/);

    const out = join(await tmpDir(), 'decrypted.tar');
    const download = await runCli(['-c', inst, 'backup', 'download', backupId, out, '--decrypt']);
    expect(download.code, download.stderr).toBe(0);
    await expectDecrypted(out);

    const original = await breakConfiguration(inst);
    const restore = await runCli(['-c', inst, 'restore', backupId, '--yes']);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe(original);
  });

  it('the WebSocket API verifies it, signs a decrypted download of it and restores it without being given the old key', async () => {
    const { inst, backupId } = made;
    const server = await startServerInProcess({ installation: inst });
    const token = await createTokenDirect(inst, 'ws');
    const ws = await HaWsClient.connect(server.wsUrl, token);
    try {
      const report = await ws.call<{ ok: boolean; problems: unknown[] }>('lifeboat/verify', { backup_id: backupId });
      expect(report).toMatchObject({ ok: true, problems: [] });

      const { path } = await ws.call<{ path: string }>('auth/sign_path', { path: `/api/backup/download/${backupId}?agent_id=backup.local&decrypt=1` });
      const out = join(await tmpDir(), 'decrypted.tar');
      const download = await downloadHashed(`${server.url}${path}`, { saveTo: out });
      expect(download.status).toBe(200);
      await expectDecrypted(out);

      const original = await breakConfiguration(inst);
      await ws.call('backup/restore', { backup_id: backupId, agent_id: 'backup.local' });
      expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe(original);
    } finally {
      ws.close();
      await server.stop();
    }
  });

  it('the HTTP API downloads it decrypted with Lifeboat\'s key (decrypt=1), without the old key in the URL', async () => {
    const { inst, backupId, oldKey } = made;
    const server = await startServerInProcess({ installation: inst });
    const token = await createTokenDirect(inst, 'http');
    try {
      const out = join(await tmpDir(), 'decrypted.tar');
      const url = `${server.url}/api/backup/download/${backupId}?agent_id=backup.local&decrypt=1`;
      expect(url).not.toContain(oldKey);
      const download = await downloadHashed(url, { token, saveTo: out });
      expect(download.status).toBe(200);
      expect(download.headers['content-disposition']).toMatch(/attachment; filename=automatic_backup_[\d_]+\.tar/);
      await expectDecrypted(out);
    } finally {
      await server.stop();
    }
  });
});
