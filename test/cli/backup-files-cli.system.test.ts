// `lifeboat backup ls | cat | diff` from the command line: an `ls -l` listing and its JSON, a
// file's bytes exactly on standard output, the changes since a backup or between two with their
// patches, and the exit codes of a wrong password, a folder and a missing path.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runCliRaw } from '../helpers/cli.js';
import { makeInstallation } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';

async function installationWithBackup(password: string | null) {
  const inst = join(await tmpDir(), 'config');
  await makeInstallation(inst);
  // Every byte value, NUL and invalid UTF-8 included.
  await writeFile(join(inst, 'www.bin'), Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(300_000)]));
  const cli = async (...args: string[]) => {
    const r = await runCli(['-c', inst, ...args], { env: { TZ: 'UTC' } });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const created = JSON.parse(await cli('backup', 'create', ...(password ? ['-p', password] : []), '--json')) as { backup_id: string };
  return { inst, id: created.backup_id, cli };
}

describe('lifeboat backup ls, cat and diff', () => {
  it('ls lists the files like ls -l, below a path on request, and as JSON', async () => {
    const { id, cli } = await installationWithBackup('pw');
    const lines = (await cli('backup', 'ls', id, '-p', 'pw')).trimEnd().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^-rwxr-xr-x {2}\s*10 {2}2023-11-14 22:13 {2}scripts\/run\.sh$/));
    expect(lines).toContainEqual(expect.stringMatching(/^-rw------- {2}\s*5 {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}secrets\.yaml$/));
    expect(lines).toContainEqual(expect.stringMatching(/^lrwxrwxrwx {2}\s*0 {2}.* {2}links\/config -> \.\.\/configuration\.yaml$/));
    expect(lines).toContainEqual(expect.stringMatching(/^drwx.* {2}\.storage$/));
    expect(lines.some((l) => l.endsWith('home-assistant.log'))).toBe(false);

    const below = (await cli('backup', 'ls', id, '.storage', '-p', 'pw')).trimEnd().split('\n');
    expect(below.map((l) => l.split('  ').pop())).toEqual(['.storage', '.storage/core.config', '.storage/core.uuid']);

    const json = JSON.parse(await cli('backup', 'ls', id, 'scripts/run.sh', '--json', '--sha256', '-p', 'pw')) as { entries: unknown[] };
    expect(json.entries).toEqual([
      {
        path: 'scripts/run.sh',
        type: 'file',
        size: 10,
        mode: 0o755,
        mtime: '2023-11-14T22:13:20.500Z',
        sha256: createHash('sha256').update('#!/bin/sh\n').digest('hex'),
      },
    ]);
  });

  it('cat writes a file byte for byte; a folder, a missing path and a wrong password fail with their exit codes', async () => {
    const { inst, id } = await installationWithBackup('pw');
    const bin = await runCliRaw(['-c', inst, 'backup', 'cat', id, 'www.bin', '-p', 'pw']);
    expect(bin.code, bin.stderr).toBe(0);
    expect(bin.stdout.equals(await readFile(join(inst, 'www.bin')))).toBe(true);
    const yaml = await runCliRaw(['-c', inst, 'backup', 'cat', id, 'configuration.yaml', '-p', 'pw']);
    expect(yaml.stdout.toString()).toBe('homeassistant:\n  name: Home\n');

    const folder = await runCli(['-c', inst, 'backup', 'cat', id, '.storage', '-p', 'pw']);
    expect([folder.code, folder.stderr]).toEqual([2, `lifeboat: .storage is a directory in backup ${id}, not a file [not_a_file]\n`]);
    const missing = await runCli(['-c', inst, 'backup', 'cat', id, 'nope.yaml', '-p', 'pw']);
    expect([missing.code, missing.stderr]).toEqual([5, `lifeboat: nope.yaml not found in backup ${id} [path_not_found]\n`]);
    const wrong = await runCli(['-c', inst, 'backup', 'cat', id, 'configuration.yaml', '-p', 'wrong']);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/\[password_incorrect\]/);
    const noBackup = await runCli(['-c', inst, 'backup', 'ls', 'ffffffff']);
    expect(noBackup.code).toBe(5);
  });

  it('diff shows what changed since a backup, or between two, with patches and as JSON', async () => {
    const { inst, id, cli } = await installationWithBackup(null);
    expect(await cli('backup', 'diff', id)).toBe('');

    await writeFile(join(inst, 'configuration.yaml'), 'homeassistant:\n  name: Away\n');
    await chmod(join(inst, 'secrets.yaml'), 0o644);
    await unlink(join(inst, 'automations.yaml'));
    await writeFile(join(inst, 'scenes.yaml'), '- name: Evening\n');
    const summary = 'D automations.yaml\nM configuration.yaml (content)\nA scenes.yaml\nM secrets.yaml (mode)\n';
    expect(await cli('backup', 'diff', id)).toBe(summary);

    const patched = await cli('backup', 'diff', id, '--patch');
    expect(patched.startsWith(summary)).toBe(true);
    expect(patched).toContain(`--- a/configuration.yaml\tbackup ${id}\n+++ b/configuration.yaml\tlive installation\n@@ -1,2 +1,2 @@\n homeassistant:\n-  name: Home\n+  name: Away\n`);
    expect(patched).toContain('+++ b/scenes.yaml\tlive installation\n@@ -0,0 +1,1 @@\n+- name: Evening\n');
    expect(patched).toContain('-[]\n');

    const second = (JSON.parse(await cli('backup', 'create', '--json')) as { backup_id: string }).backup_id;
    expect(await cli('backup', 'diff', id, second)).toBe(summary);
    const json = JSON.parse(await cli('backup', 'diff', id, second, '--json', '--path', 'configuration.yaml', '--patch')) as Record<string, unknown>;
    expect(json).toEqual({
      added: [],
      removed: [],
      changed: [{ path: 'configuration.yaml', what: ['content'] }],
      not_compared: [],
      patches: [{ path: 'configuration.yaml', kind: 'text', patch: expect.stringContaining('+  name: Away\n') }],
    });
  });

  it('explains each command with examples', async () => {
    for (const cmd of ['ls', 'cat', 'diff']) {
      const help = await runCli(['backup', cmd, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`lifeboat -c /config backup ${cmd} 1a2b3c4d`);
    }
  });
});
