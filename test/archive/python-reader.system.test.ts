// The backups Lifeboat writes decrypt and extract outside Lifeboat: an independent Python reader
// (test/helpers/python_backup_reader.py — tarfile, libsodium through PyNaCl, OpenSSL through
// cryptography, as Home Assistant's own stack) first reads Home Assistant's own reference
// backups, then Lifeboat's packed trees and a live installation's backup; a wrong password is
// refused there too.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openManager } from '../helpers/manager.js';
import { generatedTree, GENERATED_EXCLUDED, pack, variants } from '../helpers/generated-backup.js';
import { countRows, makeInstallation, NOT_COMPARED } from '../helpers/installation.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, type NodeInfo } from '../helpers/tree.js';

// Debian's Python, with Debian's python3-nacl and python3-cryptography (scripts/test.sh installs them).
const PYTHON = '/usr/bin/python3';
const READER = fileURLToPath(new URL('../helpers/python_backup_reader.py', import.meta.url));

function pythonRead(backup: string, out: string, password: string | null) {
  const run = spawnSync(PYTHON, [READER, backup, out, ...(password === null ? [] : [password])], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Python's tarfile, like Home Assistant's restore, leaves a symlink's own mtime at extraction time. */
async function treeOf(root: string, ignore: readonly string[]): Promise<Record<string, NodeInfo>> {
  const tree = await describeTree(root, { mtimes: true, ignore: [...ignore] });
  for (const node of Object.values(tree)) if (node.type === 'symlink') delete node.mtimeMs;
  return tree;
}

describe('an independent Python reader', () => {
  it.each([
    ['reference-made/backup_core_plain.tar', null],
    ['reference-made/backup_core_v2_hunter2.tar', 'hunter2'],
    ['reference-made/backup_core_v3_hunter2.tar', 'hunter2'],
  ])('reads the Home Assistant backup %s as Home Assistant wrote it (the reader itself is right)', async (file, password) => {
    const dir = await tmpDir();
    const run = pythonRead(fixture(file), join(dir, 'out'), password);
    expect(run.status, run.stderr).toBe(0);
    // The shared fixture folder is read-only, so its modes are not the archived ones.
    const contentOf = async (root: string, ignore: string[]) =>
      Object.entries(await describeTree(root, { ignore })).map(([path, { mode: _mode, ...node }]) => ({ path, ...node }));
    expect(await contentOf(join(dir, 'out', 'data'), [])).toEqual(await contentOf(fixture('reference-made/config_src'), ['home-assistant.log']));
  });

  it.each(variants)('%s: extracts the same tree Lifeboat packed (content, modes, links, file mtimes)', async (_label, password, version) => {
    const dir = await tmpDir();
    const src = join(dir, 'src');
    await generatedTree(src);
    const written = await pack(src, join(dir, 'b.tar'), password, version);
    const run = pythonRead(join(dir, 'b.tar'), join(dir, 'out'), password);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ slug: written.backup.backup_id, protected: password !== null });
    expect(await treeOf(join(dir, 'out', 'data'), [])).toEqual(await treeOf(src, GENERATED_EXCLUDED));
  });

  it('refuses a wrong password for SecureTar v3 before extracting anything', async () => {
    const dir = await tmpDir();
    await generatedTree(join(dir, 'src'));
    await pack(join(dir, 'src'), join(dir, 'b.tar'), 'hunter2', 3);
    const run = pythonRead(join(dir, 'b.tar'), join(dir, 'out'), 'hunter3');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('invalid password');
    expect(await describeTree(dir)).not.toHaveProperty('out');
  });

  it("extracts an encrypted backup of a running installation, database included, as it was", async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const manager = await openManager({ installation: inst, timeZone: 'Europe/Berlin' });
    const created = await manager.create({ password: 'emergency-key' });
    expect(created.path).toEqual(expect.any(String));
    const run = pythonRead(created.path as string, join(dir, 'out'), 'emergency-key');
    expect(run.status, run.stderr).toBe(0);
    const ignore = [...NOT_COMPARED, 'home-assistant.log', 'tts/x.mp3', 'home-assistant_v2.db'];
    expect(await treeOf(join(dir, 'out', 'data'), ignore)).toEqual(await treeOf(inst, ignore));
    const data = join(dir, 'out', 'data');
    expect(countRows(data)).toBeGreaterThan(0);
    expect(countRows(data)).toBe(countRows(inst));
    const check = spawnSync('sqlite3', [join(data, 'home-assistant_v2.db'), 'PRAGMA integrity_check;'], { encoding: 'utf8' });
    expect(check.stdout.trim()).toBe('ok');
  });
});
