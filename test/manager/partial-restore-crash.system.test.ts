// Crash safety of a partial restore, with real kill -9s of the CLI at each fault-injection point
// (LIFEBOAT_CRASH_AT, src/util/crash-point.ts): after the next start's recovery the chosen paths
// are exactly as before the restore or exactly as a clean partial restore leaves them — a folder
// the swap had to make is gone again after a rollback — and nothing else has changed.

import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { copyInstallation, dataDir, stagingFolders } from '../helpers/data-dir.js';
import { makeInstallation } from '../helpers/installation.js';
import { startCli } from '../helpers/spawn-cli.js';
import { RESTORE_CRASH_POINTS } from '../helpers/restore-crash-points.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, makeTree, treeDigest, type NodeInfo } from '../helpers/tree.js';

const CHOSEN = ['automations.yaml', 'custom_components/foo'];

async function describeInstallation(dir: string): Promise<Record<string, NodeInfo>> {
  return describeTree(dir, { mtimes: true, ignore: ['backups/', ...(await stagingFolders(dir)).map((n) => `${n}/`)] });
}

const isChosen = (rel: string) => CHOSEN.some((p) => rel === p || rel.startsWith(`${p}/`)) || rel === 'custom_components';
const digestOf = async (dir: string, part: (rel: string) => boolean) =>
  treeDigest(Object.fromEntries(Object.entries(await describeInstallation(dir)).filter(([rel]) => part(rel))));

describe('a partial restore killed with SIGKILL at each crash point', () => {
  let base: string;
  let template: string; // changed since the backup; custom_components is gone
  let backupId: string;
  let chosenBefore: string;
  let chosenClean: string;
  let restBefore: string;

  beforeAll(async () => {
    base = await tmpDir();
    const inst = join(base, 'config');
    await makeInstallation(inst);
    await makeTree(inst, { 'custom_components/foo/__init__.py': 'VERSION = 1\n', 'custom_components/foo/manifest.json': '{}\n', 'custom_components/bar/x.py': 'x\n' });
    const created = await runCli(['-c', inst, 'backup', 'create', '--json']);
    expect(created.code, created.stderr).toBe(0);
    backupId = (JSON.parse(created.stdout) as { backup_id: string }).backup_id;
    await writeFile(join(inst, 'automations.yaml'), '- id: later\n');
    await writeFile(join(inst, 'configuration.yaml'), 'changed: true\n');
    await rm(join(inst, 'custom_components'), { recursive: true });

    template = join(base, 'template');
    await copyInstallation(inst, template);
    chosenBefore = await digestOf(template, isChosen);
    restBefore = await digestOf(template, (rel) => !isChosen(rel));

    const clean = join(base, 'clean');
    await copyInstallation(template, clean);
    const restored = await runCli(['-c', clean, 'restore', backupId, '--yes', ...CHOSEN.flatMap((p) => ['--path', p])]);
    expect(restored.code, restored.stderr).toBe(0);
    chosenClean = await digestOf(clean, isChosen);
    expect(chosenClean).not.toBe(chosenBefore);
    expect(await digestOf(clean, (rel) => !isChosen(rel))).toBe(restBefore);
    expect(existsSync(join(clean, 'custom_components/bar'))).toBe(false);
  }, 90_000);

  it.each(RESTORE_CRASH_POINTS)('killed at %s, the next start leaves the chosen paths exactly %s and everything else unchanged', async (point, expected, journalAtCrash) => {
    const work = join(base, point.replace(/[:]/g, '_'));
    await copyInstallation(template, work);
    const args = ['-c', work, 'restore', backupId, '--yes', ...CHOSEN.flatMap((p) => ['--path', p])];

    const crashed = await startCli(args, { env: { LIFEBOAT_CRASH_AT: point } }).done;
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    expect(await stagingFolders(work)).toHaveLength(1);
    const journal = join(dataDir(work), 'restore-journal.json');
    expect(existsSync(journal)).toBe(journalAtCrash);

    const next = await runCli(['-c', work, 'backup', 'list', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(await stagingFolders(work)).toEqual([]);
    expect(existsSync(journal)).toBe(false);
    expect(await digestOf(work, isChosen)).toBe(expected === 'old' ? chosenBefore : chosenClean);
    expect(await digestOf(work, (rel) => !isChosen(rel))).toBe(restBefore);
    if (expected === 'old') expect(existsSync(join(work, 'custom_components'))).toBe(false);

    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(await digestOf(work, isChosen)).toBe(chosenClean);
    expect(await digestOf(work, (rel) => !isChosen(rel))).toBe(restBefore);
  });
});
