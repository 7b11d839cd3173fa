// Partial restores through the manager: only the chosen paths change (everything else keeps its
// exact tree description, mtimes included), a folder comes back whole, folders missing on the way
// are made, the database only when a path names it; a path not in the backup, a way through a
// symbolic link and paths outside what a restore touches are refused with the installation as it was.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PathNotInBackup, InvalidRequestError } from '../../src/util/errors.js';
import { UnsafeSwapPathError } from '../../src/manager/swap-paths.js';
import { craftBackup, TYPE } from '../helpers/craft-archive.js';
import { dataDir, stagingFolders } from '../helpers/data-dir.js';
import { addRows, countRows, makeInstallation } from '../helpers/installation.js';
import { openManager } from '../helpers/manager.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, makeTree, type NodeInfo } from '../helpers/tree.js';

const FOO = {
  'custom_components/foo/__init__.py': 'VERSION = 1\n',
  'custom_components/foo/manifest.json': '{"domain":"foo"}\n',
  'custom_components/bar/__init__.py': 'BAR = 1\n',
};

/** An installation with a backup of it, then changed everywhere. */
async function backedUpAndChanged() {
  const dir = await tmpDir();
  const inst = join(dir, 'config');
  await makeInstallation(inst);
  await makeTree(inst, FOO);
  const manager = await openManager({ installation: inst });
  const atBackup = await describeTree(inst, { mtimes: true });
  const { backupId } = await manager.create();
  await writeFile(join(inst, 'automations.yaml'), '- id: later\n');
  await writeFile(join(inst, 'configuration.yaml'), 'changed: true\n');
  await writeFile(join(inst, '.storage/core.config'), '{"data":{"changed":true}}');
  await writeFile(join(inst, 'custom_components/foo/__init__.py'), 'VERSION = 2\n');
  await writeFile(join(inst, 'custom_components/foo/added.py'), 'added = True\n');
  await makeTree(inst, { 'custom_components/baz/__init__.py': 'BAZ = 1\n' });
  addRows(inst, 42);
  return { dir, inst, manager, backupId, atBackup };
}

/** The entries of a tree description at or below `path`. */
function subtree(tree: Record<string, NodeInfo>, path: string): Record<string, NodeInfo> {
  return Object.fromEntries(Object.entries(tree).filter(([rel]) => rel === path || rel.startsWith(`${path}/`)));
}

/** A tree description without the entries at or below `paths`. */
function without(tree: Record<string, NodeInfo>, paths: string[]): Record<string, NodeInfo> {
  return Object.fromEntries(Object.entries(tree).filter(([rel]) => !paths.some((p) => rel === p || rel.startsWith(`${p}/`))));
}

describe('a partial restore', () => {
  // The refusals leave the installation as it was (each checks its tree where it can), so they
  // share one backed-up and changed installation; every test that changes it has its own.
  let refusing: Awaited<ReturnType<typeof backedUpAndChanged>>;
  beforeAll(async () => {
    refusing = await backedUpAndChanged();
  });

  it('changes only the chosen paths: everything else, the database included, keeps its exact tree description', async () => {
    const { inst, manager, backupId, atBackup } = await backedUpAndChanged();
    const before = await describeTree(inst, { mtimes: true });
    const chosen = ['automations.yaml', '.storage/core.config'];
    const result = await manager.restore({ backupId, paths: chosen });
    const after = await describeTree(inst, { mtimes: true });
    expect(without(after, chosen)).toEqual(without(before, chosen));
    for (const path of chosen) expect(subtree(after, path)).toEqual(subtree(atBackup, path));
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('changed: true\n');
    expect(countRows(inst)).toBe(542);
    expect(result).toMatchObject({ paths: ['.storage/core.config', 'automations.yaml'], replaced: ['.storage/core.config', 'automations.yaml'], restoredDatabase: false });
    expect(await stagingFolders(inst)).toEqual([]);
    expect(existsSync(join(dataDir(inst), 'restore-journal.json'))).toBe(false);
  });

  it('restores a folder whole: files added since the backup inside it are gone, its neighbours stay', async () => {
    const { inst, manager, backupId, atBackup } = await backedUpAndChanged();
    const before = await describeTree(inst, { mtimes: true });
    await manager.restore({ backupId, paths: ['custom_components/foo/'] });
    const after = await describeTree(inst, { mtimes: true });
    expect(subtree(after, 'custom_components/foo')).toEqual(subtree(atBackup, 'custom_components/foo'));
    expect(existsSync(join(inst, 'custom_components/foo/added.py'))).toBe(false);
    expect(without(after, ['custom_components/foo'])).toEqual(without(before, ['custom_components/foo']));
    expect(await readFile(join(inst, 'custom_components/baz/__init__.py'), 'utf8')).toBe('BAZ = 1\n');
  });

  it('makes the folders missing on the way to a nested path, with their modes from the backup, and nothing else of them', async () => {
    const { inst, manager, backupId, atBackup } = await backedUpAndChanged();
    await rm(join(inst, 'custom_components'), { recursive: true });
    const before = await describeTree(inst, { mtimes: true });
    await manager.restore({ backupId, paths: ['custom_components/foo'] });
    const after = await describeTree(inst, { mtimes: true });
    expect(subtree(after, 'custom_components')).toEqual({ 'custom_components': atBackup['custom_components'], ...subtree(atBackup, 'custom_components/foo') });
    expect(without(after, ['custom_components'])).toEqual(before);
  });

  it('restores the database only when a path names it, with its live companions', async () => {
    const { inst, manager, backupId } = await backedUpAndChanged();
    const before = await describeTree(inst, { mtimes: true });
    await writeFile(join(inst, 'home-assistant_v2.db-shm'), 'stale');
    const result = await manager.restore({ backupId, paths: ['home-assistant_v2.db'] });
    expect(existsSync(join(inst, 'home-assistant_v2.db-shm'))).toBe(false);
    expect(countRows(inst)).toBe(500);
    const db = ['home-assistant_v2.db', 'home-assistant_v2.db-wal', 'home-assistant_v2.db-shm'];
    expect(without(await describeTree(inst, { mtimes: true }), db)).toEqual(without(before, db));
    expect(result).toMatchObject({ restoredDatabase: true, paths: ['home-assistant_v2.db'] });
  });

  it('refuses a path that is not in the backup before anything is touched', async () => {
    const { inst, manager, backupId } = refusing;
    const before = await describeTree(inst, { mtimes: true });
    const attempt = manager.restore({ backupId, paths: ['automations.yaml', 'custom_components/baz'] });
    await expect(attempt).rejects.toThrow(PathNotInBackup);
    await expect(attempt).rejects.toThrow(`custom_components/baz is not in backup ${backupId}`);
    expect(await describeTree(inst, { mtimes: true })).toEqual(before);
    expect(await stagingFolders(inst)).toEqual([]);
  });

  it('refuses a way through a symbolic link in the installation, writing nothing where it points', async () => {
    const { dir, inst, manager, backupId } = await backedUpAndChanged();
    const elsewhere = join(dir, 'elsewhere');
    await rename(join(inst, 'custom_components'), elsewhere);
    await symlink(elsewhere, join(inst, 'custom_components'));
    const before = await describeTree(inst, { mtimes: true });
    const outside = await describeTree(elsewhere, { mtimes: true });
    const attempt = manager.restore({ backupId, paths: ['custom_components/foo'] });
    await expect(attempt).rejects.toThrow(UnsafeSwapPathError);
    await expect(attempt).rejects.toThrow(/custom_components is a symbolic link/);
    expect(await describeTree(elsewhere, { mtimes: true })).toEqual(outside);
    expect(await describeTree(inst, { mtimes: true })).toEqual(before);
    expect(await stagingFolders(inst)).toEqual([]);
    expect(existsSync(join(dataDir(inst), 'restore-journal.json'))).toBe(false);
  });

  it('refuses a way through a symbolic link in the backup', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    await mkdir(join(inst, 'real'));
    await writeFile(join(inst, 'real/file.yaml'), 'x\n');
    await symlink('real', join(inst, 'alias'));
    const manager = await openManager({ installation: inst });
    const { backupId } = await manager.create();
    const before = await describeTree(inst, { mtimes: true });
    await expect(manager.restore({ backupId, paths: ['alias/file.yaml'] })).rejects.toThrow(/alias\/file.yaml lies below a symbolic link or a file in backup/);
    expect(await describeTree(inst, { mtimes: true })).toEqual(before);
  });

  it('says which path to add when a chosen file is a hard link to one left out', async () => {
    // Home Assistant's own backups hold a file with more than one name as a hard link.
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const file = join(dir, 'with-link.tar');
    await writeFile(
      file,
      craftBackup([
        { name: 'data', type: TYPE.directory },
        { name: 'data/configuration.yaml', data: 'homeassistant:\n' },
        { name: 'data/www', type: TYPE.directory },
        { name: 'data/www/logo.png', data: 'PNG' },
        { name: 'data/custom_components', type: TYPE.directory },
        { name: 'data/custom_components/logo.png', type: TYPE.hardLink, linkname: 'data/www/logo.png' },
      ]),
    );
    const manager = await openManager({ installation: inst });
    const before = await describeTree(inst, { mtimes: true });
    await expect(manager.restore({ file, paths: ['custom_components'], allowNewerVersion: true })).rejects.toThrow(
      /^custom_components\/logo\.png is a hard link to www\/logo\.png in backup \w+, and www\/logo\.png is not among the paths restored: restore it too, or the whole backup$/,
    );
    expect(await describeTree(inst, { mtimes: true })).toEqual(before);
    await manager.restore({ file, paths: ['custom_components', 'www/logo.png'], allowNewerVersion: true });
    expect(await readFile(join(inst, 'custom_components/logo.png'), 'utf8')).toBe('PNG');
  });

  it.each([
    ['../outside', /has a \.\. component/],
    ['/etc/passwd', /is absolute/],
    ['./', /names the whole installation/],
    ['backups/readme.txt', /is never restored/],
    ['.lifeboat-restore-abc123/new', /is never restored/],
  ])('refuses %s as a path to restore', async (path, message) => {
    const { inst, manager, backupId } = refusing;
    const before = await describeTree(inst, { mtimes: true });
    const attempt = manager.restore({ backupId, paths: [path] });
    await expect(attempt).rejects.toThrow(InvalidRequestError);
    await expect(attempt).rejects.toThrow(message);
    expect(await describeTree(inst, { mtimes: true })).toEqual(before);
  });

  it('refuses paths together with restoreHomeassistant or restoreDatabase (the paths decide)', async () => {
    const { manager, backupId } = refusing;
    await expect(manager.restore({ backupId, paths: ['automations.yaml'], restoreDatabase: false })).rejects.toThrow(/leave out restoreHomeassistant and restoreDatabase/);
  });
});
