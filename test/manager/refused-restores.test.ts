// Broken or hostile backups are refused before the installation is touched: a wrong password, a
// truncated file, entries that climb out of the tree, a digest that does not match. Afterwards the
// installation's digest is exactly what it was, and no staging folder is left behind.
import { copyFile, readFile, truncate, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BackupError } from '../../src/util/errors.js';
import { openManager } from '../helpers/manager.js';
import { stagingFolders } from '../helpers/data-dir.js';
import { craftBackup } from '../helpers/craft-archive.js';
import { makeInstallation } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, treeDigest } from '../helpers/tree.js';

async function setup() {
  const dir = await tmpDir();
  const inst = join(dir, 'config');
  await makeInstallation(inst);
  const manager = await openManager({ installation: inst });
  const created = await manager.create({ password: 'key' });
  const digest = async () => treeDigest(await describeTree(inst, { mtimes: true, ignore: [] }));
  return { dir, inst, manager, created, digest };
}

async function expectRefused(run: () => Promise<unknown>, code: RegExp) {
  const err = await run().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BackupError);
  expect((err as BackupError).code).toMatch(code);
}

describe('restore refuses before touching the installation', () => {
  // A refusal leaves the installation as it was (each test checks its digest), so the refusals
  // share one installation and its backup; the test whose restore goes through has its own.
  let shared: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    shared = await setup();
  });

  it('refuses a wrong or missing password', async () => {
    const { inst, manager, created, digest } = shared;
    const before = await digest();
    await expectRefused(() => manager.restore({ backupId: created.backupId, password: 'wrong' }), /^password_incorrect$/);
    await expectRefused(() => manager.restore({ backupId: created.backupId }), /^password_incorrect$/);
    expect(await digest()).toBe(before);
    expect(await stagingFolders(inst)).toEqual([]);
    expect(manager.lastActionEvent).toEqual({ manager_state: 'restore_backup', reason: 'password_incorrect', stage: null, state: 'failed' });
  });

  it('refuses a truncated backup', async () => {
    const { dir, manager, created, digest } = shared;
    const cut = join(dir, 'cut.tar');
    await copyFile(created.path!, cut);
    await truncate(cut, Math.floor(created.backup.size * 0.6));
    const before = await digest();
    await expectRefused(() => manager.restore({ file: cut, password: 'key' }), /^archive_(truncated|corrupt)$/);
    expect(await digest()).toBe(before);
  });

  it('refuses a backup whose content does not match its recorded digest', async () => {
    const { dir, manager, created, digest } = shared;
    const bad = join(dir, 'bad.tar');
    const bytes = await readFile(created.path!);
    // Change one hex digit of the recorded digest in backup.json (same length, still valid JSON).
    const text = bytes.toString('latin1');
    const at = text.indexOf('"lifeboat.sha256:homeassistant.tar.gz":"') + '"lifeboat.sha256:homeassistant.tar.gz":"'.length;
    bytes[at] = bytes[at] === 0x30 ? 0x31 : 0x30;
    await writeFile(bad, bytes);
    const before = await digest();
    await expectRefused(() => manager.restore({ file: bad, password: 'key' }), /^integrity_check_failed$/);
    expect(await digest()).toBe(before);
  });

  it('refuses entries that would leave the installation', async () => {
    const { dir, inst, manager, digest } = shared;
    const hostile = join(dir, 'hostile.tar');
    await writeFile(
      hostile,
      craftBackup([
        { name: 'data', type: '5' },
        { name: 'data/configuration.yaml', data: 'pwned' },
        { name: 'data/../../escaped.txt', data: 'out' },
      ]),
    );
    const before = await digest();
    await expectRefused(() => manager.restore({ file: hostile, allowNewerVersion: true }), /^unsafe_archive_entry$/);
    expect(await digest()).toBe(before);
    expect(existsSync(join(dir, 'escaped.txt'))).toBe(false);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).not.toBe('pwned');
  });

  it('refuses a backup made by a newer Home Assistant unless told otherwise', async () => {
    const { inst, manager, created, digest } = await setup();
    await writeFile(join(inst, '.HA_VERSION'), '2025.12.0');
    const before = await digest();
    await expect(manager.restore({ backupId: created.backupId, password: 'key' })).rejects.toThrow(/at least Home Assistant version 2026\.7\.3/);
    expect(await digest()).toBe(before);
    await manager.restore({ backupId: created.backupId, password: 'key', allowNewerVersion: true });
    expect(await readFile(join(inst, '.HA_VERSION'), 'utf8')).toBe('2026.7.3');
  });
});
