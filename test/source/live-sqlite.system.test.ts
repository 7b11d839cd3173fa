// The live-database guarantee, end to end through the CLI: while a separate process commits to the
// installation's SQLite databases (recorder-style, WAL mode, ≥ 50 commits/s), `lifeboat backup
// create` archives a consistent copy of each — integrity_check ok, a gap-free prefix of the commits,
// no torn transaction, no live -wal/-shm — found by header whatever the file name, without stalling
// the writer. A database that cannot be copied is left out and reported; the backup still completes.

import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { RecorderWriter } from '../helpers/recorder-writer-process.js';
import { checkSeqDatabase, PARTS, type SeqReport, type WriterSummary } from '../helpers/seq-db.js';
import { tmpDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/eventually.js';
import { describeTree, makeTree } from '../helpers/tree.js';

const RECORDER_DB = 'home-assistant_v2.db';
const EXTRA_DB = 'zigbee/network.sqlite3';

describe('backing up an installation whose databases another process keeps committing to', () => {
  let inst: string;
  let out: string;
  let summaryFile: string;
  let summary: WriterSummary;
  let commitsBeforeBackup: number;
  let walsDuringBackup: Record<string, boolean>;
  let created: { path: string; backup_id: string; databases: { path: string; ok: boolean }[]; reason: string | null };
  let recorder: SeqReport;
  let extra: SeqReport;
  let archivedNames: string[];

  beforeAll(async () => {
    const dir = await tmpDir();
    inst = join(dir, 'config');
    out = join(dir, 'out');
    const init = await runCli(['demo', 'init', inst, '--db-mib', '32']);
    expect(init.code, init.stderr).toBe(0);

    // A second database, not named *.db, somewhere down the tree (like zigpy's network database).
    await makeTree(inst, { 'zigbee/README.txt': 'zigbee coordinator state\n' });
    const seed = new Database(join(inst, EXTRA_DB));
    seed.pragma('journal_mode = WAL');
    seed.exec('CREATE TABLE devices (ieee TEXT PRIMARY KEY, nwk INTEGER); INSERT INTO devices VALUES (\'00:11:22:33:44:55:66:77\', 4660);');
    seed.close();

    summaryFile = join(dir, 'writer-summary.json');
    const writer = RecorderWriter.start(['--db', join(inst, RECORDER_DB), '--extra', join(inst, EXTRA_DB), '--summary', summaryFile, '--interval-ms', '10', '--autocheckpoint', '100']);
    try {
      await writer.expect('ready');
      // Let the WAL fill a little: the backup must take pages from it too.
      await eventually(async () => ((await stat(join(inst, `${RECORDER_DB}-wal`)).catch(() => null))?.size ?? 0) > 64 * 1024, 'the WAL to fill', 20_000, 20);
      writer.send('start');
      commitsBeforeBackup = await writer.expect('started');

      const backup = await runCli(['-c', inst, 'backup', 'create', '--json']);

      walsDuringBackup = Object.fromEntries(
        [RECORDER_DB, EXTRA_DB].flatMap((db) => [`${db}-wal`, `${db}-shm`]).map((f) => [f, existsSync(join(inst, f))]),
      );
      writer.send('end');
      await writer.expect('ended');
      expect(backup.code, backup.stderr).toBe(0);
      created = JSON.parse(backup.stdout) as typeof created;
    } finally {
      writer.child.kill('SIGTERM');
      const exit = await writer.exited;
      expect(exit.code).toBe(0);
    }
    summary = JSON.parse(await readFile(summaryFile, 'utf8')) as WriterSummary;

    const unpack = await runCli(['archive', 'unpack', created.path, out]);
    expect(unpack.code, unpack.stderr).toBe(0);
    const data = join(out, 'homeassistant', 'data');
    archivedNames = Object.keys(await describeTree(data));
    recorder = checkSeqDatabase(join(data, RECORDER_DB));
    extra = checkSeqDatabase(join(data, EXTRA_DB));
  }, 90_000);

  it('archives a recorder database that passes integrity_check and holds ids 1..N without gaps, N between the commits before the backup and all commits', () => {
    console.log(
      `recorder copy: ${recorder.rows} of ${summary.commits} commits (${commitsBeforeBackup} before the backup started, ${summary.commitsAtWindowEnd} when it ended)`,
    );
    expect(created.databases).toContainEqual(expect.objectContaining({ path: RECORDER_DB, ok: true }));
    expect(created.reason).toBeNull();
    expect(recorder.integrity).toBe('ok');
    expect(recorder.badRows).toBe(0);
    expect(recorder.minId).toBe(1);
    expect(recorder.maxId).toBe(recorder.rows); // ids 1..N, no gaps
    expect(recorder.rows).toBeGreaterThanOrEqual(commitsBeforeBackup);
    expect(recorder.rows).toBeLessThanOrEqual(summary.commitsAtWindowEnd);
    expect(recorder.rows).toBeLessThanOrEqual(summary.commits);
  });

  it('archives every seq row of the recorder database together with the rows of its transaction (no torn commit)', () => {
    expect(recorder.tornIds).toBe(0);
    expect(recorder.partRows).toBe(recorder.rows * PARTS);
  });

  it('leaves the live -wal and -shm of the recorder database out of the archive', () => {
    expect(walsDuringBackup[`${RECORDER_DB}-wal`], 'the recorder -wal existed while the backup ran').toBe(true);
    expect(archivedNames).toContain(RECORDER_DB);
    expect(archivedNames).not.toContain(`${RECORDER_DB}-wal`);
    expect(archivedNames).not.toContain(`${RECORDER_DB}-shm`);
  });

  it('does not stall the writer: longest commit during the backup < 100 ms and ≥ 50 commits/s', () => {
    const perSecond = summary.commitsDuringWindow / (summary.windowMs / 1000);
    console.log(
      `writer during the backup (${summary.windowMs.toFixed(0)} ms): ${summary.commitsDuringWindow} commits = ${perSecond.toFixed(1)} commits/s, ` +
        `longest commit ${summary.windowMaxCommitMs.toFixed(2)} ms (extra db ${summary.extra?.windowMaxCommitMs.toFixed(2)} ms), ` +
        `longest gap between commits ${summary.windowMaxGapMs.toFixed(1)} ms; longest commit overall ${summary.maxCommitMs.toFixed(2)} ms`,
    );
    expect(summary.windowMs).toBeGreaterThan(500);
    expect(summary.windowMaxCommitMs).toBeLessThan(100);
    expect(perSecond).toBeGreaterThanOrEqual(50);
  });

  it('finds a SQLite database with a non-.db name by its header and archives it consistently, without its live -wal', () => {
    expect(walsDuringBackup[`${EXTRA_DB}-wal`], 'the extra -wal existed while the backup ran').toBe(true);
    expect(created.databases).toContainEqual(expect.objectContaining({ path: EXTRA_DB, ok: true }));
    expect(extra.integrity).toBe('ok');
    expect(extra.badRows).toBe(0);
    expect(extra.tornIds).toBe(0);
    expect(extra.rows).toBeGreaterThanOrEqual(summary.extra!.commitsAtWindowStart);
    expect(extra.rows).toBeLessThanOrEqual(summary.extra!.commitsAtWindowEnd);
    expect(extra.maxId).toBe(extra.rows);
    expect(archivedNames).toContain(EXTRA_DB);
    expect(archivedNames).not.toContain(`${EXTRA_DB}-wal`);
    expect(archivedNames).not.toContain(`${EXTRA_DB}-shm`);
  });
});

describe('a database that cannot be copied', () => {
  it('is left out of the archive and reported (database_copy_failed), and the backup still completes', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    // SQLite's 16-byte header, then a body no SQLite can read.
    const corrupt = Buffer.concat([Buffer.from('SQLite format 3\u0000', 'binary'), Buffer.alloc(8 * 1024, 0xa5)]);
    await makeTree(inst, {
      '.HA_VERSION': '2026.7.3',
      'configuration.yaml': 'homeassistant:\n  name: Home\n',
      [RECORDER_DB]: corrupt,
    });
    const r = await runCli(['-c', inst, 'backup', 'create', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const created = JSON.parse(r.stdout) as {
      path: string;
      database_included: boolean;
      databases: { path: string; ok: boolean; error?: string }[];
      reason: string | null;
    };
    expect(created.reason).toBe('database_copy_failed');
    expect(created.databases).toContainEqual(expect.objectContaining({ path: RECORDER_DB, ok: false }));
    expect(created.database_included).toBe(false);

    const out = join(dir, 'out');
    const unpack = await runCli(['archive', 'unpack', created.path, out]);
    expect(unpack.code, unpack.stderr).toBe(0);
    const backupJson = JSON.parse(await readFile(join(out, 'backup.json'), 'utf8')) as { homeassistant: { exclude_database: boolean } };
    expect(backupJson.homeassistant.exclude_database).toBe(true);
    const names = Object.keys(await describeTree(join(out, 'homeassistant', 'data')));
    expect(names).toContain('configuration.yaml');
    expect(names.filter((n) => n.startsWith(RECORDER_DB))).toEqual([]);
    // The failed attempt did not touch the live file.
    expect((await readFile(join(inst, RECORDER_DB))).equals(corrupt)).toBe(true);
  });
});
