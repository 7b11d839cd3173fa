// Attacks through a backup location: whoever can write to a share or bucket replaces Lifeboat's
// copy (with the location's own digest record rewritten to match), or puts an unencrypted backup
// there for Lifeboat to restore. Lifeboat checks copies against what it recorded when it sent them,
// and restores a foreign unencrypted copy only when told to.

import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli, runCliOk } from '../../helpers/cli.js';
import { stagingFolders } from '../../helpers/data-dir.js';
import { tmpDir } from '../../helpers/tmp.js';
import { describeTree, treeDigest } from '../../helpers/tree.js';
import type { AttackRow } from '../attack-row.js';

/** A demo installation with a key and a shared folder location `folder.nas`. */
async function withShare(): Promise<{ dir: string; inst: string; share: string }> {
  const dir = await tmpDir();
  const inst = join(dir, 'config');
  const share = join(dir, 'share');
  await runCliOk(['demo', 'init', inst, '--db-mib', '1']);
  await runCliOk(['-c', inst, 'location', 'add', 'folder', 'NAS', '--path', share, '--create']);
  return { dir, inst, share };
}

/** The file name (without `.tar`) of a backup's copy on a share, found from its record. */
async function stemOf(share: string, backupId: string): Promise<string> {
  for (const name of (await readdir(share)).filter((n) => n.endsWith('.metadata.json'))) {
    const record = JSON.parse(await readFile(join(share, name), 'utf8')) as { backup_id: string };
    if (record.backup_id === backupId) return name.slice(0, -'.metadata.json'.length);
  }
  throw new Error(`no record of ${backupId} in ${share}`);
}

const digestOf = async (inst: string) => treeDigest(await describeTree(inst, { ignore: ['backups/'] }));

async function refusedRestore(inst: string, backupId: string, message: RegExp, extra: string[] = []): Promise<void> {
  const before = await digestOf(inst);
  const r = await runCli(['-c', inst, 'restore', backupId, '--location', 'folder.nas', '--yes', ...extra]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(message);
  expect(await digestOf(inst)).toBe(before);
  expect(await stagingFolders(inst)).toEqual([]);
}

export const rows: AttackRow[] = [
  {
    attack: "a copy on a shared folder replaced, with the location's own digest record rewritten to match",
    async prove() {
      const { inst, share } = await withShare();
      await runCliOk(['-c', inst, 'key', 'rotate']);
      const key = (await runCliOk(['-c', inst, 'key', 'show'])).split('\n')[0] as string;
      const created = JSON.parse(await runCliOk(['-c', inst, 'backup', 'create', '--password', key, '--location', 'folder.nas', '--json'])) as { backup_id: string };
      const id = created.backup_id;
      // The attacker changes the archive (one byte of its end-of-archive padding) and the record beside it.
      const stem = await stemOf(share, id);
      const tar = join(share, `${stem}.tar`);
      const bytes = await readFile(tar);
      bytes[bytes.length - 1] = 1;
      await writeFile(tar, bytes);
      const recordPath = join(share, `${stem}.metadata.json`);
      const record = JSON.parse(await readFile(recordPath, 'utf8')) as { extra_metadata: Record<string, string> };
      record.extra_metadata['lifeboat.copy_sha256'] = createHash('sha256').update(bytes).digest('hex');
      await writeFile(recordPath, JSON.stringify(record));
      await refusedRestore(inst, id, /is not the one Lifeboat sent there/);
    },
  },
  {
    attack: 'an unencrypted backup put on a shared folder for an installation whose backups are encrypted',
    async prove() {
      const { inst, share } = await withShare();
      await runCliOk(['-c', inst, 'key', 'rotate']);
      // Made elsewhere (another installation, no key), then dropped into the share.
      const other = await withShare();
      const made = JSON.parse(await runCliOk(['-c', other.inst, 'backup', 'create', '--location', 'folder.nas', '--json'])) as { backup_id: string };
      const stem = await stemOf(other.share, made.backup_id);
      for (const name of [`${stem}.tar`, `${stem}.metadata.json`]) await copyFile(join(other.share, name), join(share, name));
      await refusedRestore(inst, made.backup_id, /is not encrypted, although Lifeboat encrypts its backups.*--allow-unencrypted/);
      // Told to, Lifeboat restores it.
      const allowed = await runCli(['-c', inst, 'restore', made.backup_id, '--location', 'folder.nas', '--yes', '--allow-unencrypted']);
      expect(allowed.code, allowed.stderr).toBe(0);
    },
  },
];

rows.push({
  attack: 'a backup that unpacks to more than the free space of the installation’s file system',
  async prove() {
    const { inst } = await withShare();
    const created = JSON.parse(await runCliOk(['-c', inst, 'backup', 'create', '--json'])) as { backup_id: string; path: string };
    // The recorded unpacked size says 9 PB (same width, so backup.json keeps its length).
    const bytes = await readFile(created.path);
    const found = /"lifeboat\.unpacked_size:homeassistant\.tar\.gz":\s*"(\d{16})"/.exec(bytes.subarray(0, 4096).toString('latin1'));
    expect(found).not.toBeNull();
    const value = (found?.index ?? 0) + (found?.[0].length ?? 0) - 17;
    bytes.write('9000000000000000', value, 'latin1');
    await writeFile(created.path, bytes);
    const before = await digestOf(inst);
    const r = await runCli(['-c', inst, 'restore', created.backup_id, '--yes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/needs about 8583068\d+\.\d MiB of free space .* nothing was changed/);
    expect(await digestOf(inst)).toBe(before);
    expect(await stagingFolders(inst)).toEqual([]);
  },
});
