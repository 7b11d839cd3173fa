// `lifeboat backup …` and `lifeboat restore` from the command line, including the rescue case:
// a backup restored into a fresh, empty folder with nothing but the CLI and the password.
import { copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataFolder } from '../../src/manager/data-folder.js';
import { runCli } from '../helpers/cli.js';
import { startCli } from '../helpers/spawn-cli.js';
import { countRows, makeInstallation, NOT_COMPARED } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';

describe('lifeboat backup and restore', () => {
  it('restores a backup into a fresh empty folder with only the CLI and the password', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const created = await runCli(['-c', inst, 'backup', 'create', '--password', 'K7Q2-9XWD', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const record = JSON.parse(created.stdout) as { backup_id: string; path: string; protected: boolean; databases: { ok: boolean }[] };
    expect(record.protected).toBe(true);
    expect(record.databases).toEqual([expect.objectContaining({ path: 'home-assistant_v2.db', ok: true })]);

    // Another machine: only the backup file.
    const rescue = join(dir, 'elsewhere', 'backup.tar');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'elsewhere'));
    await copyFile(record.path, rescue);
    const fresh = join(dir, 'fresh-machine', 'config');
    const restored = await runCli(['-c', fresh, 'restore', rescue, '--password', 'K7Q2-9XWD', '--yes']);
    expect(restored.code, restored.stderr).toBe(0);
    const ignore = [...NOT_COMPARED, 'home-assistant.log', 'tts/x.mp3'];
    expect(await describeTree(fresh, { mtimes: true, ignore })).toEqual(await describeTree(inst, { mtimes: true, ignore }));
    expect(countRows(fresh)).toBe(500);
  });

  it('lists, shows, verifies, downloads decrypted and deletes a backup', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const created = JSON.parse((await runCli(['-c', inst, 'backup', 'create', '-p', 'pw', '--name', 'Before upgrade', '--json'])).stdout) as { backup_id: string };
    const list = await runCli(['-c', inst, 'backup', 'list']);
    expect(list.stdout).toContain(`${created.backup_id}`);
    expect(list.stdout).toContain('Before upgrade');
    const listJson = JSON.parse((await runCli(['-c', inst, 'backup', 'list', '--json'])).stdout) as { backups: { backup_id: string; agents: object }[] };
    expect(listJson.backups.map((b) => b.backup_id)).toEqual([created.backup_id]);
    expect((await runCli(['-c', inst, 'backup', 'info', created.backup_id])).stdout).toMatch(/backup\.local: .* encrypted/);
    expect((await runCli(['-c', inst, 'backup', 'verify', created.backup_id, '-p', 'pw'])).code).toBe(0);
    expect((await runCli(['-c', inst, 'backup', 'verify', created.backup_id, '-p', 'nope'])).code).toBe(3);
    const out = join(dir, 'plain.tar');
    expect((await runCli(['-c', inst, 'backup', 'download', created.backup_id, out, '--decrypt', '-p', 'pw'])).code).toBe(0);
    // Backups hold the installation's secrets: readable by their owner only, the decrypted copy too.
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const backups = dataFolder(inst).backups;
    const tars = (await readdir(backups)).filter((n) => n.endsWith('.tar'));
    expect(tars).toHaveLength(1);
    expect((await stat(join(backups, tars[0] as string))).mode & 0o777).toBe(0o600);
    const inspect = JSON.parse((await runCli(['archive', 'inspect', out, '--json'])).stdout) as { backup: { protected: boolean } };
    expect(inspect.backup.protected).toBe(false);
    expect((await runCli(['-c', inst, 'backup', 'delete', created.backup_id])).code).toBe(0);
    expect((await runCli(['-c', inst, 'backup', 'info', created.backup_id])).code).toBe(2);
  });

  it('restores only the configuration or only the database on request', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const { backup_id } = JSON.parse((await runCli(['-c', inst, 'backup', 'create', '--json'])).stdout) as { backup_id: string };
    const { addRows } = await import('../helpers/installation.js');
    await writeFile(join(inst, 'configuration.yaml'), 'edited\n');
    addRows(inst, 5);
    expect((await runCli(['-c', inst, 'restore', backup_id, '--database-only', '--yes'])).code).toBe(0);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('edited\n');
    expect(countRows(inst)).toBe(500);
    addRows(inst, 5);
    expect((await runCli(['-c', inst, 'restore', backup_id, '--config-only', '--yes'])).code).toBe(0);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('homeassistant:\n  name: Home\n');
    expect(countRows(inst)).toBe(505);
  });

  it('runs the stop and start commands around the swap, and a failing stop command aborts', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const { backup_id } = JSON.parse((await runCli(['-c', inst, 'backup', 'create', '--json'])).stdout) as { backup_id: string };
    const log = join(dir, 'hooks.log');
    const ok = await runCli(['-c', inst, 'restore', backup_id, '--yes', '--stop-command', `echo stop >> ${log}`, '--start-command', `echo start >> ${log}`]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await readFile(log, 'utf8')).toBe('stop\nstart\n');
    await writeFile(join(inst, 'configuration.yaml'), 'edited\n');
    const failed = await runCli(['-c', inst, 'restore', backup_id, '--yes', '--stop-command', 'echo cannot stop >&2; exit 3']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/stop command failed \(exit code 3\): cannot stop/);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('edited\n');
  });

  it('a restore killed after stopping Home Assistant: the next command rolls the swap back and runs the start command', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const { backup_id } = JSON.parse((await runCli(['-c', inst, 'backup', 'create', '--json'])).stdout) as { backup_id: string };
    await writeFile(join(inst, 'configuration.yaml'), 'edited\n');
    const log = join(dir, 'hooks.log');
    const hooks = ['--stop-command', `echo stop >> ${log}`, '--start-command', `echo start >> ${log}`];
    const killed = await startCli(['-c', inst, 'restore', backup_id, '--yes', ...hooks], { env: { LIFEBOAT_CRASH_AT: 'restore:swap-middle' } }).done;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(await readFile(log, 'utf8')).toBe('stop\n');

    const next = await runCli(['-c', inst, 'backup', 'list', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/rolled back/);
    expect(next.stderr).toMatch(/An interrupted restore left Home Assistant \(the stop and start commands\) stopped; starting it/);
    expect(await readFile(log, 'utf8')).toBe('stop\nstart\n');
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('edited\n');
    // Started once: the command after that has nothing left to start.
    expect((await runCli(['-c', inst, 'backup', 'list', '--json'])).code).toBe(0);
    expect(await readFile(log, 'utf8')).toBe('stop\nstart\n');
  });
});
