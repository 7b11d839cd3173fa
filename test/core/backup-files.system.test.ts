// Looking inside a backup through the core: the listing equals the archive's entries as an
// independent reader (Python's tarfile, test/helpers/python_backup_list.py) sees them, and each
// file read equals its bytes there — for Home Assistant's, the Supervisor's and a third party's
// backups (plain, SecureTar v2, v3) and for Lifeboat's own of a generated installation; a
// comparison finds exactly the changes made between two backups, or since a backup in the live
// installation, and a patch shows the changed line.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LifeboatCore } from '../../src/core/lifeboat-core.js';
import type { BackupFileEntry } from '../../src/core/backup-file-schemas.js';
import { IncorrectPasswordError, NotAFileInBackup, PathNotInBackup, PasswordRequiredError } from '../../src/util/errors.js';
import { generatedTree, GENERATED_EXCLUDED } from '../helpers/generated-backup.js';
import { addRows, makeInstallation } from '../helpers/installation.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';

// Debian's Python, with Debian's python3-nacl and python3-cryptography (scripts/test.sh installs them).
const PYTHON = '/usr/bin/python3';
const LISTER = fileURLToPath(new URL('../helpers/python_backup_list.py', import.meta.url));

interface PythonEntry {
  path: string;
  type: BackupFileEntry['type'];
  size: number;
  mode: number;
  mtime: string;
  linkname?: string;
  sha256?: string;
}

function pythonList(backup: string, member: string, root: string, password: string | null): PythonEntry[] {
  const run = spawnSync(PYTHON, [LISTER, backup, member, root, ...(password === null ? [] : [password])], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`python_backup_list.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as PythonEntry[];
}

/** Seconds as tar stores them (`1748361181.003264463`) as an ISO time, truncated to the millisecond. */
function isoFromSeconds(s: string): string {
  const [whole, frac = ''] = s.split('.');
  return new Date(Number(whole) * 1000 + Number(frac.padEnd(3, '0').slice(0, 3))).toISOString();
}

/** The Python listing in the core's shape; a hard link carries its file's digest. */
function expectedEntries(entries: PythonEntry[]): BackupFileEntry[] {
  const digests = new Map(entries.filter((e) => e.sha256).map((e) => [e.path, e.sha256 as string]));
  return entries.map((e) => ({
    path: e.path,
    type: e.type,
    size: e.size,
    mode: e.mode,
    mtime: isoFromSeconds(e.mtime),
    ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    ...(e.type === 'file' ? { sha256: e.sha256 } : {}),
    ...(e.type === 'hardlink' ? { sha256: digests.get(e.linkname as string) ?? null } : {}),
  }));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

const opened: LifeboatCore[] = [];
afterEach(async () => {
  for (const core of opened.splice(0)) await core.close();
});

async function openCore(installation: string, dir: string): Promise<LifeboatCore> {
  const core = await LifeboatCore.open({ installation, data: join(dir, 'data') });
  opened.push(core);
  return core;
}

/** An installation whose local backup folder holds a copy of a fixture. */
async function coreWithFixture(file: string): Promise<LifeboatCore> {
  const dir = await tmpDir();
  const inst = join(dir, 'config');
  await mkdir(join(inst, 'backups'), { recursive: true });
  const copy = join(inst, 'backups', basename(file));
  await copyFile(fixture(file), copy);
  await chmod(copy, 0o600);
  return openCore(inst, dir);
}

interface FixtureCase {
  file: string;
  id: string;
  member: string;
  archive?: string;
  password: string | null;
}

const fixtures: FixtureCase[] = [
  { file: 'reference-made/backup_core_plain.tar', id: 'd76bc010', member: 'homeassistant.tar.gz', password: null },
  { file: 'reference-made/backup_core_v2_hunter2.tar', id: 'd76bc010', member: 'homeassistant.tar.gz', password: 'hunter2' },
  { file: 'reference-made/backup_core_v3_hunter2.tar', id: 'd76bc010', member: 'homeassistant.tar.gz', password: 'hunter2' },
  { file: 'supervisor/backup_example.tar', id: '7fed74c8', member: 'a0d7b954_example.tar.gz', archive: 'a0d7b954_example', password: null },
  { file: 'supervisor/backup_example_enc.tar', id: '93b462f8', member: 'ssl.tar.gz', archive: 'ssl', password: 'test' },
  { file: 'supervisor/backup_example_sec_v3.tar', id: 'f92f0339', member: 'a0d7b954_example.tar.gz', archive: 'a0d7b954_example', password: 'supervisor' },
  { file: 'third-party/test_unprotected_with_links.tar', id: 'bc54cb3d', member: 'test.tar.gz', archive: 'test', password: null },
];

describe("the files of Home Assistant's and the Supervisor's backups", () => {
  it.each(fixtures)('$file: the listing is the archive as Python reads it, and each file reads as its bytes there', async (c) => {
    const core = await coreWithFixture(c.file);
    const python = pythonList(fixture(c.file), c.member, c.archive ? '' : 'data', c.password);
    const request = { password: c.password, ...(c.archive ? { archive: c.archive } : {}) };
    expect(await core.files.list(c.id, { ...request, digests: true })).toEqual(expectedEntries(python));
    const digests = new Map(python.filter((e) => e.sha256).map((e) => [e.path, e.sha256]));
    for (const e of python.filter((x) => x.type === 'file' || x.type === 'hardlink')) {
      const file = await core.files.read(c.id, e.path, request);
      const bytes = await collect(file.stream);
      expect(sha256(bytes), e.path).toBe(digests.get(e.type === 'file' ? e.path : (e.linkname as string)));
      expect(file.size).toBe(bytes.length);
    }
  });

  it('lists the Home Assistant archive by paths relative to the installation, below a path on request', async () => {
    const core = await coreWithFixture('reference-made/backup_core_v3_hunter2.tar');
    const all = await core.files.list('d76bc010', { password: 'hunter2' });
    expect(all.map((e) => e.path)).toEqual(['.storage', '.storage/core.config', 'big.txt', 'configuration.yaml', 'blueprints', 'blueprints/ünï.yaml']);
    expect((await core.files.list('d76bc010', { password: 'hunter2', path: '.storage' })).map((e) => e.path)).toEqual(['.storage', '.storage/core.config']);
    expect((await core.files.list('d76bc010', { password: 'hunter2', path: 'big.txt' })).map((e) => [e.path, e.size])).toEqual([['big.txt', 70000]]);
    const config = await core.files.read('d76bc010', 'configuration.yaml', { password: 'hunter2' });
    expect((await collect(config.stream)).equals(await readFile(fixture('reference-made/config_src/configuration.yaml')))).toBe(true);
  });

  it('refuses a wrong or missing password with the password error, and names what a path is not', async () => {
    const core = await coreWithFixture('reference-made/backup_core_v3_hunter2.tar');
    const wrong = await core.files.list('d76bc010', { password: 'hunter3' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(IncorrectPasswordError);
    expect((wrong as IncorrectPasswordError).code).toBe('password_incorrect');
    await expect(core.files.read('d76bc010', 'configuration.yaml')).rejects.toBeInstanceOf(PasswordRequiredError);
    await expect(core.files.read('d76bc010', 'no/such.yaml', { password: 'hunter2' })).rejects.toThrow(new PathNotInBackup('no/such.yaml not found in backup d76bc010'));
    await expect(core.files.read('d76bc010', '.storage', { password: 'hunter2' })).rejects.toThrow(new NotAFileInBackup('.storage is a directory in backup d76bc010, not a file'));
    await expect(core.files.list('d76bc010', { password: 'hunter2', path: 'nothing' })).rejects.toBeInstanceOf(PathNotInBackup);
    await expect(core.files.read('d76bc010', '../etc/passwd', { password: 'hunter2' })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('says which archives a backup without Home Assistant holds', async () => {
    const core = await coreWithFixture('supervisor/backup_example.tar');
    await expect(core.files.list('7fed74c8')).rejects.toThrow(/holds no Home Assistant archive .*its archives: a0d7b954_example/);
  });
});

describe("the files of Lifeboat's backups of a generated installation", () => {
  it.each([
    ['no password', null, 3],
    ['SecureTar v2', 'hunter2', 2],
    ["SecureTar v3 with the keyring's key", 'keyring', 3],
  ] as const)('%s: the listing is the archive as Python reads it and the tree that was backed up; each file reads as the original', async (_label, pass, version) => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await generatedTree(inst);
    const core = await openCore(inst, dir);
    const password = pass === 'keyring' ? (await core.keys.rotate()).key : pass;
    const made = await core.create.run({ password, secureTarVersion: version });
    // The keyring opens its own backups without being given the key.
    const request = pass === 'keyring' ? {} : { password };
    const listing = await core.files.list(made.backupId, { ...request, digests: true });
    expect(listing).toEqual(expectedEntries(pythonList(made.path as string, 'homeassistant.tar.gz', 'data', password)));

    const source = await describeTree(inst, { ignore: [...GENERATED_EXCLUDED, 'backups/'] });
    const kinds = { file: 'file', dir: 'directory', symlink: 'symlink', other: 'other' } as const;
    expect(Object.fromEntries(listing.filter((e) => e.path !== 'backups').map((e) => [e.path, { type: e.type, link: e.linkname, sha256: e.sha256 }]))).toEqual(
      Object.fromEntries(Object.entries(source).map(([path, n]) => [path, { type: kinds[n.type], link: n.link, sha256: n.sha256 }])),
    );
    for (const [path, node] of Object.entries(source)) {
      if (node.type !== 'file') continue;
      const file = await core.files.read(made.backupId, path, request);
      expect((await collect(file.stream)).equals(await readFile(join(inst, path))), path).toBe(true);
    }
    await expect(core.files.read(made.backupId, 'links/relative', request)).rejects.toThrow(/is a symbolic link \(to \.\.\/configuration\.yaml\)/);
  });
});

/** The edits the comparison tests make: each kind of change once. */
async function editInstallation(inst: string): Promise<void> {
  await writeFile(join(inst, 'configuration.yaml'), 'homeassistant:\n  name: Away\n'); // same size, other content
  await writeFile(join(inst, 'automations.yaml'), '- id: "1"\n  alias: Lights\n'); // grown
  await chmod(join(inst, 'secrets.yaml'), 0o640);
  await unlink(join(inst, 'links/config'));
  await symlink('../automations.yaml', join(inst, 'links/config'));
  await rm(join(inst, '.storage/core.config'));
  await mkdir(join(inst, 'www'));
  await writeFile(join(inst, 'www/floorplan.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
  // Not changes: a file's time, and so the times of the folders above.
  await utimes(join(inst, 'scripts/run.sh'), 1800000000, 1800000000);
}

const EDITS = {
  added: ['www', 'www/floorplan.png'],
  removed: ['.storage/core.config'],
  changed: [
    { path: 'automations.yaml', what: ['content', 'size'] },
    { path: 'configuration.yaml', what: ['content'] },
    { path: 'links/config', what: ['target'] },
    { path: 'secrets.yaml', what: ['mode'] },
  ],
  notCompared: [],
};

describe('comparing', () => {
  async function installation() {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    return { inst, core: await openCore(inst, dir) };
  }

  it('a fresh backup with the live installation: no changes, the database included', async () => {
    const { core } = await installation();
    const made = await core.create.run({ password: 'pw' });
    expect(await core.files.diff(made.backupId, 'live', { password: 'pw' })).toEqual({ added: [], removed: [], changed: [], notCompared: [] });
  });

  it('two backups: exactly the changes made between them, and nothing else', async () => {
    const { inst, core } = await installation();
    const before = await core.create.run({});
    await editInstallation(inst);
    const after = await core.create.run({ password: 'pw', secureTarVersion: 2 });
    expect(await core.files.diff(before.backupId, after.backupId, { otherPassword: 'pw' })).toEqual(EDITS);
    // The other way round, the additions are removals.
    const back = await core.files.diff(after.backupId, before.backupId, { password: 'pw', otherPassword: null });
    expect([back.added, back.removed]).toEqual([EDITS.removed, EDITS.added]);
    expect((await core.files.diff(before.backupId, after.backupId, { otherPassword: 'pw', path: 'links' })).changed).toEqual([{ path: 'links/config', what: ['target'] }]);
  });

  it('a backup with the live installation after editing it, the database by its digest', async () => {
    const { inst, core } = await installation();
    const made = await core.create.run({});
    await editInstallation(inst);
    expect(await core.files.diff(made.backupId, 'live')).toEqual(EDITS);
    addRows(inst, 50);
    const diff = await core.files.diff(made.backupId, 'live');
    expect(diff.changed.find((c) => c.path === 'home-assistant_v2.db')?.what).toContain('content');
    expect(await core.files.diff(made.backupId, 'live', { includeDatabase: false })).toEqual({ ...EDITS, notCompared: ['home-assistant_v2.db'] });
  });

  it('a patch shows the changed line; a binary file and the database differ as binary', async () => {
    const { inst, core } = await installation();
    const made = await core.create.run({});
    await editInstallation(inst);
    const patch = await core.files.patch(made.backupId, 'live', 'configuration.yaml');
    expect(patch).toEqual({
      path: 'configuration.yaml',
      kind: 'text',
      patch: `--- a/configuration.yaml\tbackup ${made.backupId}\n+++ b/configuration.yaml\tlive installation\n@@ -1,2 +1,2 @@\n homeassistant:\n-  name: Home\n+  name: Away\n`,
    });
    const all = [];
    for await (const p of core.files.patches(made.backupId, 'live', ['www/floorplan.png', 'home-assistant_v2.db', '.storage/core.config', 'home-assistant.log'])) all.push(p);
    expect(all.map((p) => [p.path, p.kind])).toEqual([
      ['www/floorplan.png', 'binary'],
      ['home-assistant_v2.db', 'binary'],
      ['.storage/core.config', 'text'],
      ['home-assistant.log', 'text'],
    ]);
    expect(all[2]).toMatchObject({ patch: expect.stringContaining('+++ /dev/null') });
    // Left out of backups, so neither side has it.
    expect(all[3]).toMatchObject({ patch: '' });
  });
});
