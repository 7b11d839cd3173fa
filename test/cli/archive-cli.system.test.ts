// The emergency CLI: pack, unpack, inspect, verify — exit codes and one-line errors.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, makeTree } from '../helpers/tree.js';

describe('lifeboat archive', () => {
  it('packs a folder with a password file, verifies, inspects and unpacks it', async () => {
    const dir = await tmpDir();
    await makeTree(join(dir, 'config'), {
      'configuration.yaml': 'homeassistant:\n',
      '.HA_VERSION': '2026.7.3',
      'home-assistant.log': 'left out',
      'www/cam/1.jpg': 'left out by --exclude',
    });
    await writeFile(join(dir, 'key.txt'), 'K7Q2-9XWD-M4T8-ZP1R-H6NC-3VBY-E5JL\n');
    const packed = await runCli(['archive', 'pack', join(dir, 'config'), join(dir, 'b.tar'), '--password-file', join(dir, 'key.txt'), '--exclude', 'www/cam/**', '--json']);
    expect(packed.code, packed.stderr).toBe(0);
    const record = JSON.parse(packed.stdout) as { name: string; protected: boolean; homeassistant_version: string; path: string };
    expect(record).toMatchObject({ name: 'Custom backup 2026.7.3', protected: true, homeassistant_version: '2026.7.3', path: join(dir, 'b.tar') });

    const inspect = await runCli(['archive', 'inspect', join(dir, 'b.tar'), '--json']);
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout).inner[0].encryption).toBe('v3');

    const verify = await runCli(['archive', 'verify', join(dir, 'b.tar'), '--password', 'K7Q2-9XWD-M4T8-ZP1R-H6NC-3VBY-E5JL']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/verified/);
    expect(verify.stdout).toMatch(/digest ok/);

    const unpack = await runCli(['archive', 'unpack', join(dir, 'b.tar'), join(dir, 'out'), '--password-file', join(dir, 'key.txt')]);
    expect(unpack.code, unpack.stderr).toBe(0);
    expect(Object.keys(await describeTree(join(dir, 'out')))).toEqual([
      'backup.json',
      'homeassistant',
      'homeassistant/data',
      'homeassistant/data/.HA_VERSION',
      'homeassistant/data/configuration.yaml',
      'homeassistant/data/www',
    ]);
    expect(JSON.parse(await readFile(join(dir, 'out', 'backup.json'), 'utf8')).protected).toBe(true);
  });

  it.each([
    [['archive', 'verify', 'reference-made/backup_core_v3_hunter2.tar', '--password', 'nope'], 3, /password provided is incorrect/],
    [['archive', 'verify', 'reference-made/backup_core_v3_hunter2.tar'], 3, /no password was provided/],
    [['archive', 'verify', 'securetar/backup_no_final_tag.tar', '-p', 'hunter2'], 4, /missing final tag/],
    [['archive', 'verify', 'securetar/backup_truncated.tar', '-p', 'hunter2'], 4, /truncated/],
    [['archive', 'inspect', 'does-not-exist.tar'], 1, /No such file/],
  ])('%j exits %i with a one-line reason', async (args, code, message) => {
    const resolved = args.map((a) => (a.endsWith('.tar') ? fixture(a) : a));
    const r = await runCli(resolved);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects bad usage with exit code 2', async () => {
    const r = await runCli(['archive', 'pack', '/tmp', '/tmp/x.tar', '--level', '11']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--level must be a whole number from 1 to 9/);
    const both = await runCli(['archive', 'verify', fixture('reference-made/backup_core_plain.tar'), '-p', 'a', '--password-file', 'b']);
    expect(both.code).toBe(2);
  });

  it('refuses to overwrite an existing output without --force', async () => {
    const dir = await tmpDir();
    await makeTree(join(dir, 'c'), { 'a.yaml': 'a' });
    await writeFile(join(dir, 'b.tar'), 'keep me');
    const r = await runCli(['archive', 'pack', join(dir, 'c'), join(dir, 'b.tar')]);
    expect(r.code).toBe(2);
    expect(await readFile(join(dir, 'b.tar'), 'utf8')).toBe('keep me');
  });

  it('prints help that explains the commands', async () => {
    const r = await runCli(['archive', '--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['pack', 'unpack', 'inspect', 'verify']) expect(r.stdout).toContain(cmd);
  });
});
