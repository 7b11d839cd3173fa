// Key confidentiality (reference §15.1) end to end with the CLI: once automatic backups are set up
// (the key is generated), the key appears in no command's output except `key show`,
// `key emergency-kit -` and `key rotate` (which prints the new key), not in serve's log, not in any
// file of any backup, and in no file under the installation but the 0600 secrets file in a 0700
// folder. After a rotation older backups still restore from the keyring (and with the old key
// given), new ones use the new key, and the emergency kit alone unpacks a backup.
import { chmod, lstat, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../src/settings/encryption-key.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { dataDir } from '../helpers/data-dir.js';
import { makeInstallation } from '../helpers/installation.js';
import { startServe } from '../helpers/serve.js';
import { tmpDir } from '../helpers/tmp.js';

interface Logged {
  args: string[];
  result: CliResult;
}

/** Every regular file under `root`, with its path relative to `root`. */
async function allFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string) {
    for (const name of await readdir(dir)) {
      const abs = join(dir, name);
      const st = await lstat(abs);
      if (st.isDirectory()) await walk(abs);
      else if (st.isFile()) out.push(abs);
    }
  }
  await walk(root);
  return out;
}

/** The files under `root` whose bytes contain one of `secrets` (plain, or without dashes). */
async function filesContaining(root: string, secrets: string[]): Promise<string[]> {
  const needles = secrets.flatMap((s) => [s, s.replace(/-/g, '')]).map((s) => Buffer.from(s, 'utf8'));
  const hits: string[] = [];
  for (const file of await allFiles(root)) {
    const bytes = await readFile(file);
    if (needles.some((n) => bytes.includes(n))) hits.push(relative(root, file));
  }
  return hits;
}

describe('the encryption key stays secret', () => {
  let dir: string;
  let inst: string;
  const logs: Logged[] = [];
  let key1: string;
  let key2: string;
  let backup1: { backup_id: string; path: string };
  let backup2: { backup_id: string; path: string };
  let serveLog = '';

  async function cli(args: string[], opts: { log?: boolean } = {}): Promise<CliResult> {
    const result = await runCli(['-c', inst, ...args]);
    if (opts.log !== false) logs.push({ args, result });
    return result;
  }

  beforeAll(async () => {
    dir = await tmpDir('lifeboat-keys-');
    inst = join(dir, 'config');
    await makeInstallation(inst);
    const configured = await cli(['-v', 'settings', 'update', JSON.stringify({ automatic_backups_configured: true, create_backup: { agent_ids: ['backup.local'] }, schedule: { recurrence: 'daily', time: '04:45' } })]);
    expect(configured.code, configured.stderr).toBe(0);
    const shown = await cli(['key', 'show'], { log: false });
    key1 = shown.stdout.split('\n')[0] as string;
    expect(key1).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){6}$/);

    const first = await cli(['-v', 'backup', 'create', '--automatic', '--json']);
    expect(first.code, first.stderr).toBe(0);
    backup1 = JSON.parse(first.stdout) as { backup_id: string; path: string };

    const serve = startServe(inst);
    // Logged once the start-up work (retention, the schedule) is done.
    await serve.waitForLog((l) => l.msg === 'Lifeboat is serving');
    const exit = await serve.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    serveLog = serve.stdout() + serve.stderr();

    for (const args of [['settings', 'show', '--json'], ['settings', 'show'], ['status', '--json'], ['backup', 'list', '--json'], ['backup', 'info', backup1.backup_id], ['retention', 'preview']]) {
      expect((await cli(['-v', ...args])).code).toBe(0);
    }

    const rotated = await runCli(['-c', inst, 'key', 'rotate']);
    expect(rotated.code, rotated.stderr).toBe(0);
    key2 = rotated.stdout.split('\n')[0] as string;
    expect(key2).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){6}$/);
    expect(key2).not.toBe(key1);
    // `key rotate` prints the new key by design, but never the old one.
    expect(rotated.stdout + rotated.stderr).not.toContain(key1);

    const second = await cli(['-v', 'backup', 'create', '--automatic', '--json']);
    expect(second.code, second.stderr).toBe(0);
    backup2 = JSON.parse(second.stdout) as { backup_id: string; path: string };
  }, 120_000);

  it('shows the key only as **REDACTED** in the settings', async () => {
    const r = await cli(['settings', 'show', '--json']);
    const config = (JSON.parse(r.stdout) as { config: { create_backup: { password: unknown }; lifeboat: { key_fingerprint: string } } }).config;
    expect(config.create_backup.password).toBe('**REDACTED**');
    expect(config.lifeboat.key_fingerprint).toBe(keyFingerprint(key2));
  });

  it('keeps the old key in the keyring: an older backup restores without a password, and with the old key given', async () => {
    await writeFile(join(inst, 'configuration.yaml'), 'changed after the backup\n');
    const implicit = await cli(['-v', 'restore', backup1.backup_id, '--yes']);
    expect(implicit.code, implicit.stderr).toBe(0);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('homeassistant:\n  name: Home\n');

    await writeFile(join(inst, 'configuration.yaml'), 'changed again\n');
    const explicit = await runCli(['-c', inst, 'restore', backup1.backup_id, '--yes', '--password', key1]);
    expect(explicit.code, explicit.stderr).toBe(0);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('homeassistant:\n  name: Home\n');
    logs.push({ args: ['restore', '--password <old key>'], result: explicit });
  });

  it('encrypts new automatic backups with the new key (another fingerprint in backup.json)', async () => {
    const fp = async (path: string) => {
      const r = await runCli(['archive', 'inspect', path, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse(r.stdout) as { backupJson: { protected: boolean; extra: Record<string, unknown> } };
      expect(info.backupJson.protected).toBe(true);
      return info.backupJson.extra['lifeboat.key_fingerprint'];
    };
    expect(await fp(backup1.path)).toBe(keyFingerprint(key1));
    expect(await fp(backup2.path)).toBe(keyFingerprint(key2));
    expect(keyFingerprint(key1)).not.toBe(keyFingerprint(key2));
    const wrong = await runCli(['archive', 'verify', backup2.path, '--password', key1]);
    expect(wrong.code).toBe(3);
  });

  it('unpacks a backup with nothing but the emergency kit', async () => {
    const kit = join(dir, 'kit.txt');
    const written = await cli(['key', 'emergency-kit', kit]);
    expect(written.code, written.stderr).toBe(0);
    const text = await readFile(kit, 'utf8');
    expect(text).toContain(key2);
    expect((await stat(kit)).mode & 0o777).toBe(0o600);
    const toStdout = await runCli(['-c', inst, 'key', 'emergency-kit', '-']);
    expect(toStdout.stdout).toContain(key2);

    const out = join(dir, 'from-kit');
    const unpacked = await runCli(['archive', 'unpack', backup2.path, out, '--password-file', kit]);
    expect(unpacked.code, unpacked.stderr).toBe(0);
    expect(await readFile(join(out, 'homeassistant', 'data', 'configuration.yaml'), 'utf8')).toBe('homeassistant:\n  name: Home\n');
  });

  it('writes the kit 0600 over an existing world-readable file, and never through a link standing there', async () => {
    const kit = join(dir, 'old-kit.txt');
    await writeFile(kit, 'an old kit\n');
    await chmod(kit, 0o644);
    const written = await cli(['key', 'emergency-kit', kit]);
    expect(written.code, written.stderr).toBe(0);
    expect((await stat(kit)).mode & 0o777).toBe(0o600);
    expect(await readFile(kit, 'utf8')).toContain(key2);

    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'not a kit\n');
    await chmod(victim, 0o644);
    const link = join(dir, 'kit-link.txt');
    await symlink(victim, link);
    expect((await cli(['key', 'emergency-kit', link])).code).toBe(0);
    expect(await readFile(victim, 'utf8')).toBe('not a kit\n');
    expect((await lstat(link)).isFile()).toBe(true);
    expect((await lstat(link)).mode & 0o777).toBe(0o600);
  });

  it('puts the key in no file of any backup', async () => {
    for (const [b, key] of [
      [backup1, key1],
      [backup2, key2],
    ] as const) {
      const out = join(dir, `unpacked-${b.backup_id}`);
      const r = await runCli(['archive', 'unpack', b.path, out, '--password', key]);
      expect(r.code, r.stderr).toBe(0);
      const files = await allFiles(out);
      expect(files.map((f) => relative(out, f))).toEqual(expect.arrayContaining(['backup.json', 'homeassistant/data/configuration.yaml', 'homeassistant/data/home-assistant_v2.db']));
            expect(await filesContaining(out, [key1, key2])).toEqual([]);
    }
  });

  it("leaves Lifeboat's own files out of a backup, including the backup's own unfinished file", async () => {
    // The local location writes the backup to backups/.lifeboat-<pid>-<hex>.partial while the tree
    // walk runs; Home Assistant's rule excludes only backups/*.tar, so the unfinished file itself
    // (and any other location's .partial) is archived unless Lifeboat excludes it.
    const out = join(dir, 'own-files');
    const r = await runCli(['archive', 'unpack', backup2.path, out, '--password', key2]);
    expect(r.code, r.stderr).toBe(0);
    const names = (await allFiles(out)).map((f) => relative(out, f));
    expect(names.filter((n) => n.includes('.lifeboat'))).toEqual([]);
    expect(names).toContain('homeassistant/data/backups/readme.txt');
  });

  it("keeps the key out of the installation: only in the data folder's secrets.json (0600, in a 0700 folder)", async () => {
    expect(await filesContaining(inst, [key1, key2])).toEqual([]);
    const data = dataDir(inst);
    expect(relative(inst, data).startsWith('..')).toBe(true);
    expect(await filesContaining(data, [key1, key2])).toEqual(['secrets.json']);
    expect((await stat(join(data, 'secrets.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(data)).mode & 0o777).toBe(0o700);
  });

  it('writes the key to no log: command output and serve log', () => {
    expect(logs.length).toBeGreaterThan(10);
    expect(serveLog).toContain('Lifeboat is serving');
    expect(serveLog).toContain(keyFingerprint(key1));
    for (const secret of [key1, key2, key1.replace(/-/g, ''), key2.replace(/-/g, '')]) {
      expect(serveLog).not.toContain(secret);
      for (const { args, result } of logs) {
        expect(result.stdout, `stdout of ${args.join(' ')}`).not.toContain(secret);
        expect(result.stderr, `stderr of ${args.join(' ')}`).not.toContain(secret);
      }
    }
  });
});
