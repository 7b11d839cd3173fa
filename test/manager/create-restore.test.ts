// Create → change → restore round trips through the manager: the installation comes back exactly
// (content, modes, symlinks, mtimes), the database rows too; config-only and database-only
// restores touch only their part; the event stream follows Home Assistant's shapes.
import { mkdir, readdir, readFile, rm, writeFile, symlink, unlink } from 'node:fs/promises';
import { withBackupReader } from '../../src/archive/backup-reader.js';
import { unpackBackup } from '../../src/archive/unpack.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openManager } from '../helpers/manager.js';
import type { ManagerEvent } from '../../src/manager/events.js';
import { isLifeboatProgress, isStateEvent } from '../../src/manager/events.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';
import { addRows, countRows, makeInstallation, NOT_COMPARED } from '../helpers/installation.js';
import { SUCCESSFUL_CREATE_EVENTS } from '../helpers/manager-events.js';

async function setup() {
  const dir = await tmpDir();
  const inst = join(dir, 'config');
  await makeInstallation(inst);
  const manager = await openManager({ installation: inst, timeZone: 'Europe/Berlin' });
  const events: ManagerEvent[] = [];
  manager.events.subscribe((e) => {
    if (!isLifeboatProgress(e)) events.push(e);
  });
  return { inst, manager, events };
}

async function mutate(inst: string) {
  await writeFile(join(inst, 'configuration.yaml'), 'changed: true\n');
  await writeFile(join(inst, 'new-file.yaml'), 'added\n');
  await rm(join(inst, 'automations.yaml'));
  await unlink(join(inst, 'links/config'));
  await symlink('elsewhere', join(inst, 'links/config'));
  addRows(inst, 42);
}

const compareOpts = { mtimes: true, ignore: [...NOT_COMPARED, 'home-assistant.log', 'tts/x.mp3'] };

describe('create and restore through the manager', () => {
  it('restores the tree and the database exactly as they were at backup time', async () => {
    const { inst, manager, events } = await setup();
    const before = await describeTree(inst, compareOpts);
    const created = await manager.create({ password: 'key' });
    expect(created.backup.protected).toBe(true);
    expect(created.path).toMatch(/backups\/Custom_backup_2026\.7\.3_.*\.tar$/);
    expect(created.databases).toEqual([expect.objectContaining({ path: 'home-assistant_v2.db', ok: true })]);
    expect(events.filter(isStateEvent)).toEqual(SUCCESSFUL_CREATE_EVENTS);
    // The local folder reports its copy done in the upload stage, as every target does.
    expect(events.slice(2, 4)).toEqual([
      SUCCESSFUL_CREATE_EVENTS[2],
      { manager_state: 'create_backup', agent_id: 'backup.local', uploaded_bytes: created.backup.size, total_bytes: created.backup.size },
    ]);
    await mutate(inst);
    events.length = 0;
    await manager.restore({ backupId: created.backupId, password: 'key' });
    expect(events).toEqual([
      { manager_state: 'restore_backup', reason: null, stage: null, state: 'in_progress' },
      { manager_state: 'restore_backup', reason: null, stage: null, state: 'completed' },
      { manager_state: 'idle' },
    ]);
    expect(await describeTree(inst, compareOpts)).toEqual(before);
    expect(countRows(inst)).toBe(500);
    expect(await readFile(join(inst, 'backups/readme.txt'), 'utf8')).toBe('kept');
    expect(manager.lastActionEvent).toEqual({ manager_state: 'restore_backup', reason: null, stage: null, state: 'completed' });
  });

  it('config-only restore keeps the current database', async () => {
    const { inst, manager } = await setup();
    const before = await describeTree(inst, compareOpts);
    const created = await manager.create();
    await mutate(inst);
    await manager.restore({ backupId: created.backupId, restoreDatabase: false });
    expect(await describeTree(inst, compareOpts)).toEqual(before);
    expect(countRows(inst)).toBe(542);
  });

  it('database-only restore keeps the current configuration', async () => {
    const { inst, manager } = await setup();
    const created = await manager.create();
    await mutate(inst);
    const changed = await describeTree(inst, compareOpts);
    await manager.restore({ backupId: created.backupId, restoreHomeassistant: false });
    expect(await describeTree(inst, compareOpts)).toEqual(changed);
    expect(countRows(inst)).toBe(500);
  });

  it('leaves the database out on request and says so in the backup', async () => {
    const { manager } = await setup();
    const created = await manager.create({ includeDatabase: false });
    expect(created.backup.database_included).toBe(false);
    expect(created.databases).toEqual([]);
    await expect(manager.restore({ backupId: created.backupId, restoreHomeassistant: false })).rejects.toThrow(/does not contain the database/);
  });

  it('a whole restore of a backup made without the database keeps the installation\'s database', async () => {
    const { inst, manager } = await setup();
    const before = await describeTree(inst, compareOpts);
    const created = await manager.create({ includeDatabase: false });
    await mutate(inst);
    const result = await manager.restore({ backupId: created.backupId });
    expect(result.restoredDatabase).toBe(false);
    expect(await describeTree(inst, compareOpts)).toEqual(before);
    expect(countRows(inst)).toBe(542);
  });

  it('leaves the backups of a local folder inside the installation, however named, out of later backups', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const local = join(inst, 'my [old]*backups');
    await mkdir(local);
    await writeFile(join(local, 'readme.txt'), 'kept');
    const manager = await openManager({ installation: inst, backups: local });
    const first = await manager.create();
    expect(first.path?.startsWith(`${local}/`)).toBe(true);
    const second = await manager.create();
    const out = join(dir, 'out');
    await withBackupReader(second.path as string, (reader) => unpackBackup(reader, out, null));
    const held = await readdir(join(out, 'homeassistant', 'data', 'my [old]*backups'));
    expect(held).toEqual(['readme.txt']);
  });

  it('refuses a second operation while one runs, without an event', async () => {
    const { manager, events } = await setup();
    const first = await manager.beginCreate();
    const eventsBefore = events.length;
    await expect(manager.create()).rejects.toThrow(/Backup manager busy: create_backup/);
    expect(events.length).toBe(eventsBefore);
    await first.done;
    expect(manager.state).toBe('idle');
  });

  it('refuses an unknown location before doing anything', async () => {
    const { manager, events } = await setup();
    await expect(manager.create({ agentIds: ['nowhere.x'] })).rejects.toThrow('At least one available backup agent must be selected, got [nowhere.x]');
    expect(events).toEqual([
      { manager_state: 'create_backup', reason: null, stage: null, state: 'in_progress' },
      { manager_state: 'create_backup', reason: null, stage: null, state: 'failed' },
      { manager_state: 'idle' },
    ].map((e, i) => (i === 1 ? { ...e, reason: 'backup_manager_error' } : e)));
  });

  it('lists, describes and deletes backups; with_automatic_settings only for this installation', async () => {
    const { manager } = await setup();
    const a = await manager.create({ name: 'first' });
    const b = await manager.create({ name: 'second', withAutomaticSettings: true });
    const listing = await manager.list();
    expect(listing.backups.map((x) => x.name)).toEqual(['second', 'first']);
    expect(listing.backups[0]?.with_automatic_settings).toBe(true);
    expect(listing.backups[1]?.with_automatic_settings).toBe(false);
    expect(listing.backups[0]?.agents['backup.local']).toEqual({ protected: false, size: b.backup.size });
    await manager.delete(a.backupId);
    expect((await manager.list()).backups.map((x) => x.backup_id)).toEqual([b.backupId]);
  });
});
