// Crash safety of the manager, with real kill -9s of the CLI: a backup killed while it writes its
// archive leaves nothing behind that the next start would list or keep, and the next backup works;
// a restore killed at each of its fault-injection points (LIFEBOAT_CRASH_AT, see
// src/util/crash-point.ts) is rolled back or completed by the next start, so the installation is
// exactly the tree before the restore or exactly the tree of a clean restore — never a mixture —
// and a normal restore works afterwards.

import { existsSync } from 'node:fs';
import { readdir, rm, stat, symlink, unlink, writeFile, chmod, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { runCli } from '../helpers/cli.js';
import { startCli, type CliOutcome } from '../helpers/spawn-cli.js';
import { RESTORE_CRASH_POINTS } from '../helpers/restore-crash-points.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, makeTree, treeDigest, type NodeInfo } from '../helpers/tree.js';
import { copyInstallation, dataDir, stagingFolders } from '../helpers/data-dir.js';

const RECORDER_DB = 'home-assistant_v2.db';
const IGNORE = ['backups/'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function describeInstallation(dir: string): Promise<Record<string, NodeInfo>> {
  return describeTree(dir, { ignore: [...IGNORE, ...(await stagingFolders(dir)).map((n) => `${n}/`)] });
}

async function digestOf(dir: string): Promise<string> {
  return treeDigest(await describeInstallation(dir));
}

function partials(names: string[]): string[] {
  return names.filter((n) => n.startsWith('.lifeboat-') && n.endsWith('.partial'));
}

function stateRows(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM states').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('a backup killed with SIGKILL while it writes the archive', () => {
  let inst: string;
  let killed: CliOutcome;
  let backupsAtKill: string[];
  let tmpAtKill: string[];
  let list: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    inst = join(await tmpDir(), 'config');
    const init = await runCli(['demo', 'init', inst, '--db-mib', '32']);
    expect(init.code, init.stderr).toBe(0);
    const backups = join(inst, 'backups');

    const run = startCli(['-c', inst, 'backup', 'create']);
    // Kill it as soon as the archive is being written into the backup folder.
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (run.child.exitCode !== null || run.child.signalCode !== null) throw new Error('the backup finished before it could be killed');
      if (Date.now() > deadline) throw new Error('the backup never started writing');
      const temp = partials(await readdir(backups).catch(() => []))[0];
      if (temp && ((await stat(join(backups, temp)).catch(() => null))?.size ?? 0) > 0) break;
      await sleep(5);
    }
    run.child.kill('SIGKILL');
    killed = await run.done;
    backupsAtKill = await readdir(backups);
    tmpAtKill = await readdir(join(dataDir(inst), 'tmp'));

    list = await runCli(['-c', inst, 'backup', 'list', '--json']);
  }, 90_000);

  it('was killed mid-write, leaving an unfinished .partial file and no finished backup', () => {
    expect(killed.signal).toBe('SIGKILL');
    expect(partials(backupsAtKill)).toHaveLength(1);
    expect(backupsAtKill.filter((n) => n.endsWith('.tar'))).toEqual([]);
  });

  it('the next start lists no backup and removes the unfinished .partial file of the dead process', async () => {
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { backups: unknown[] }).backups).toEqual([]);
    expect(partials(await readdir(join(inst, 'backups')))).toEqual([]);
    expect(list.stderr).toMatch(/Removed an unfinished backup file/);
  });

  it("the next start removes the database copies the killed backup left in Lifeboat's tmp folder", async () => {
    // The killed job had its consistent database copy staged here while it wrote the archive.
    expect(tmpAtKill.some((n) => n.includes('-snapshot-'))).toBe(true);
    expect(await readdir(join(dataDir(inst), 'tmp')), 'staged database copies of the killed backup are still in .lifeboat/tmp').toEqual([]);
  });

  it('a backup created after the crash succeeds, is the only one listed and verifies', async () => {
    const created = await runCli(['-c', inst, 'backup', 'create', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { backup_id: id } = JSON.parse(created.stdout) as { backup_id: string };
    const after = await runCli(['-c', inst, 'backup', 'list', '--json']);
    expect((JSON.parse(after.stdout) as { backups: { backup_id: string }[] }).backups.map((b) => b.backup_id)).toEqual([id]);
    const verify = await runCli(['-c', inst, 'backup', 'verify', id]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(partials(await readdir(join(inst, 'backups')))).toEqual([]);
  });
});

describe('a restore killed with SIGKILL at each crash point', () => {
  let base: string;
  let template: string; // the changed installation, with backup A in its backups/ folder
  let backupId: string;
  let digestBefore: string; // the changed installation = the tree before the restore
  let digestClean: string; // after a restore that was not interrupted
  let treeAtBackup: Record<string, NodeInfo>;
  let rowsAtBackup: number;
  let cleanDir: string;

  beforeAll(async () => {
    base = await tmpDir();
    const inst = join(base, 'config');
    const init = await runCli(['demo', 'init', inst, '--db-mib', '2']);
    expect(init.code, init.stderr).toBe(0);
    await makeTree(inst, {
      'www/latest.png': { symlink: 'images/floorplan.png' },
      'shell/rotate.sh': { content: '#!/bin/sh\necho rotate\n', mode: 0o755 },
    });
    await chmod(join(inst, 'secrets.yaml'), 0o600);

    const created = await runCli(['-c', inst, 'backup', 'create', '--json']);
    expect(created.code, created.stderr).toBe(0);
    backupId = (JSON.parse(created.stdout) as { backup_id: string }).backup_id;
    treeAtBackup = await describeInstallation(inst);
    rowsAtBackup = stateRows(join(inst, RECORDER_DB));

    // Change, add and delete files, links, modes and database rows.
    await appendFile(join(inst, 'configuration.yaml'), 'logger:\n  default: info\n');
    await makeTree(inst, { 'packages/lights.yaml': 'light:\n  - platform: group\n', 'www/new-card.js': '/* new */\n' });
    await unlink(join(inst, 'scenes.yaml'));
    await rm(join(inst, 'blueprints'), { recursive: true });
    await unlink(join(inst, 'www/latest.png'));
    await symlink('images/other.png', join(inst, 'www/latest.png'));
    await chmod(join(inst, 'secrets.yaml'), 0o644);
    await chmod(join(inst, 'shell/rotate.sh'), 0o700);
    await writeFile(join(inst, '.storage/core.config'), '{"version":1,"minor_version":4,"key":"core.config","data":{}}\n');
    const db = new Database(join(inst, RECORDER_DB));
    db.prepare('DELETE FROM states WHERE state_id % 3 = 0').run();
    db.prepare("INSERT INTO states (state, metadata_id) VALUES ('changed', 1)").run();
    db.close();

    template = join(base, 'template');
    await copyInstallation(inst, template);
    digestBefore = await digestOf(template);

    cleanDir = join(base, 'clean');
    await copyInstallation(template, cleanDir);
    const restored = await runCli(['-c', cleanDir, 'restore', backupId, '--yes']);
    expect(restored.code, restored.stderr).toBe(0);
    digestClean = await digestOf(cleanDir);
  }, 90_000);

  it('a clean restore gives back the tree at backup time (without the excluded files) and differs from the changed tree', async () => {
    expect(digestClean).not.toBe(digestBefore);
    const rules = ExcludeRules.forBackup({ includeDatabase: true });
    const excluded = (rel: string) => {
      const parts = rel.split('/');
      return parts.some((_, i) => rules.excludes(parts.slice(0, i + 1).join('/')));
    };
    // The database and its live companions (the snapshot's read-only connection leaves an empty
    // -wal and a -shm next to a database that was closed) are compared by content below.
    const dbFiles = [RECORDER_DB, `${RECORDER_DB}-wal`, `${RECORDER_DB}-shm`];
    const withoutDb = (tree: Record<string, NodeInfo>) => Object.fromEntries(Object.entries(tree).filter(([rel]) => !dbFiles.includes(rel)));
    const expected = Object.fromEntries(Object.entries(treeAtBackup).filter(([rel]) => !excluded(rel)));
    const clean = await describeInstallation(cleanDir);
    expect(withoutDb(clean)).toEqual(withoutDb(expected));
    // The database is a consistent copy (not the same bytes), restored without stale companions:
    // the same rows as at backup time.
    expect(Object.keys(clean).filter((rel) => dbFiles.includes(rel))).toEqual([RECORDER_DB]);
    expect(stateRows(join(cleanDir, RECORDER_DB))).toBe(rowsAtBackup);
    expect(await stagingFolders(cleanDir)).toEqual([]);
  });

  it.each(RESTORE_CRASH_POINTS)('killed at %s, the next start leaves exactly the %s tree, never a mixture; a normal restore then works', async (point, expected, journalAtCrash) => {
    const work = join(base, point.replace(/[:]/g, '_'));
    await copyInstallation(template, work);
    expect(await digestOf(work)).toBe(digestBefore);

    const crashed = await startCli(['-c', work, 'restore', backupId, '--yes'], { env: { LIFEBOAT_CRASH_AT: point } }).done;
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    // The crash really left an unfinished restore for the next start to settle.
    expect(await stagingFolders(work)).toHaveLength(1);
    const journal = join(dataDir(work), 'restore-journal.json');
    expect(existsSync(journal)).toBe(journalAtCrash);
    const digestAtCrash = await digestOf(work);

    const next = await runCli(['-c', work, 'backup', 'list', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(await stagingFolders(work)).toEqual([]);
    expect(existsSync(journal)).toBe(false);
    const digestAfter = await digestOf(work);
    console.log(
      `${point}: at the crash the tree was ${digestAtCrash === digestBefore ? 'the old one' : digestAtCrash === digestClean ? 'the new one' : 'a mixture'}; ` +
        `after the next start it is ${digestAfter === digestBefore ? 'the old one' : digestAfter === digestClean ? 'the new one' : 'a MIXTURE'}`,
    );
    expect([digestBefore, digestClean]).toContain(digestAfter);
    expect(digestAfter).toBe(expected === 'old' ? digestBefore : digestClean);
    if (point === 'restore:swap-middle' || point === 'restore:swap-before-commit') expect(next.stderr).toMatch(/rolled back/);

    const again = await runCli(['-c', work, 'restore', backupId, '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(await digestOf(work)).toBe(digestClean);
    expect(await stagingFolders(work)).toEqual([]);
  });
});
