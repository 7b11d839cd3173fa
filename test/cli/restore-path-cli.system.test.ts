// `lifeboat restore <id> --path …` from the command line: only the chosen paths come back, a path
// not in the backup exits 5 with the installation untouched, --path with --config-only is a usage
// error, and --help shows an example.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeInstallation } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';

describe('lifeboat restore --path', () => {
  let inst: string;
  let backupId: string;

  beforeAll(async () => {
    inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const created = await runCli(['-c', inst, 'backup', 'create', '--json']);
    expect(created.code, created.stderr).toBe(0);
    backupId = (JSON.parse(created.stdout) as { backup_id: string }).backup_id;
    await writeFile(join(inst, 'automations.yaml'), '- id: later\n');
    await writeFile(join(inst, 'configuration.yaml'), 'changed: true\n');
  }, 60_000);

  it('refuses a path that is not in the backup with exit 5, the installation untouched', async () => {
    const before = await describeTree(inst, { mtimes: true });
    const r = await runCli(['-c', inst, 'restore', backupId, '--yes', '--path', 'automations.yaml', '--path', 'nope.yaml']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`nope.yaml is not in backup ${backupId}`);
    expect(await describeTree(inst, { mtimes: true })).toEqual(before);
  });

  it('refuses --path together with --config-only as wrong usage', async () => {
    const r = await runCli(['-c', inst, 'restore', backupId, '--yes', '--path', 'automations.yaml', '--config-only']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--path chooses what is restored/);
  });

  it('restores only the chosen path and says which', async () => {
    const r = await runCli(['-c', inst, 'restore', backupId, '--yes', '--path', 'automations.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Restored automations.yaml from backup ${backupId}`);
    expect(await readFile(join(inst, 'automations.yaml'), 'utf8')).toBe('[]\n');
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('changed: true\n');
  });

  it('shows --path and an example in --help', async () => {
    const r = await runCli(['restore', '--help']);
    expect(r.stdout).toContain('--path <path>');
    expect(r.stdout).toContain('restore 1a2b3c4d --path automations.yaml --path custom_components/foo');
  });
});
