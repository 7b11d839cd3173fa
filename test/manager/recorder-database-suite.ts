// A recorder database in a real server (MariaDB and PostgreSQL started by the test), end to end
// through the CLI: `lifeboat backup create` while Home Assistant-like commits go on at ≥ 50 a second
// dumps a consistent prefix of them without stalling the writer; a restore after rows were deleted
// brings back exactly the backed-up rows; a restore killed while it loads leaves the live data as it
// was; a SQLite database and a server dump are never restored into the other kind; the
// database's password appears neither in the output nor in the backup's metadata; and a whole
// restore killed during its swap leaves files and database together, both old or both restored.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startCli } from '../helpers/spawn-cli.js';
import { eventually } from '../helpers/eventually.js';
import { openManager } from '../helpers/manager.js';
import { LifeboatCore } from '../../src/core/lifeboat-core.js';
import { isConsistentPrefix, startDbWriter, writerRows, type DbWriterSummary } from '../helpers/db-writer.js';
import { fillRecorder, tableDigests, type TableDigest } from '../helpers/recorder-schema.js';
import { tmpDir } from '../helpers/tmp.js';
import type { DatabaseServer } from '../servers/database-server.js';

/** Recorder rows per server; the suite also runs at a few hundred MiB (LIFEBOAT_TEST_RECORDER_MIB=300). */
const MIB = Number(process.env.LIFEBOAT_TEST_RECORDER_MIB ?? 100);
const KEY = 'recorder-test-backup-key';

interface Created {
  path: string;
  backup_id: string;
  extra_metadata: Record<string, string | boolean>;
  databases: { path: string; ok: boolean; bytes: number }[];
  reason: string | null;
}

/** An installation whose recorder is the server, the address in secrets.yaml (as users write it). */
async function installationFor(url: string): Promise<{ inst: string; data: string }> {
  const root = await tmpDir('lifeboat-recorder-');
  const inst = join(root, 'config');
  const data = join(root, 'data');
  await mkdir(inst);
  await mkdir(data, { mode: 0o700 });
  await chmod(data, 0o700);
  await writeFile(join(inst, 'configuration.yaml'), 'default_config:\nrecorder:\n  db_url: !secret recorder_db_url\n  purge_keep_days: 30\n');
  await writeFile(join(inst, 'secrets.yaml'), `recorder_db_url: "${url}"\n`);
  await writeFile(join(inst, '.HA_VERSION'), '2026.11.1');
  return { inst, data };
}

/** How many databases (MariaDB) or schemas (PostgreSQL) a restore's swap has kept aside on the server. */
async function keptAside(server: DatabaseServer): Promise<number> {
  const aside =
    server.kind === 'mariadb'
      ? await server.query<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'homeassistant\\_\\_lifeboat%'")
      : await server.query<{ n: string }>("SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 'lifeboat\\_%'");
  return Number(aside[0]?.n);
}

/** The suite for one server kind; each kind has its own test file, so the two run side by side. */
export function recorderDatabaseSuite(name: string, start: () => Promise<DatabaseServer>): void {
  describe(`a recorder database on ${name}`, () => {
    let server: DatabaseServer;
    let inst: string;
    let data: string;
    const lifeboat = (args: string[], input = '') => runCli(['-c', inst, '-d', data, ...args], { input });
    let live: Created;
    let liveSummary: DbWriterSummary;
    let quiet: Created;
    let quietDigests: Record<string, TableDigest>;
    let output = '';

    beforeAll(async () => {
      server = await start();
      const fill = await fillRecorder(server, { mib: MIB });
      console.log(`${name}: ${(fill.bytes / 2 ** 20).toFixed(0)} MiB of recorder rows in ${fill.seconds.toFixed(1)} s`);
      ({ inst, data } = await installationFor(server.url));
    });
    afterAll(() => server?.stop());

    it('says which database the next backup includes, without its password', async () => {
      const r = await lifeboat(['status']);
      expect(r.code, r.stderr).toBe(0);
      const kindName = server.kind === 'mariadb' ? 'MariaDB/MySQL' : 'PostgreSQL';
      expect(r.stdout).toMatch(new RegExp(`Recorder database in the next backup +${kindName.replace('/', '\\/')} database homeassistant on 127\\.0\\.0\\.1:${server.port} \\(user hass\\) \\(from secrets\\.yaml\\)`));
      expect(r.stdout).not.toContain(server.password);
    });

    it('dumps a consistent prefix of the commits while a writer commits ≥ 50 times a second, never stalling it 100 ms', async () => {
      const writer = await startDbWriter(server);
      await writer.start();
      const r = await lifeboat(['-v', 'backup', 'create', '--json', '--password-file', '-'], KEY);
      await writer.end();
      liveSummary = await writer.stop();
      output += r.stdout + r.stderr;
      expect(r.code, r.stderr).toBe(0);
      live = JSON.parse(r.stdout) as Created;
      console.log(
        `${name}: backup during ${liveSummary.commitsDuringWindow} commits (${liveSummary.windowCommitsPerSecond.toFixed(0)}/s), longest commit ${liveSummary.windowMaxCommitMs.toFixed(1)} ms, dump ${(live.databases.at(-1)!.bytes / 2 ** 20).toFixed(0)} MiB`,
      );
      expect(live.reason).toBeNull();
      expect(live.databases).toContainEqual(expect.objectContaining({ path: 'lifeboat-recorder-dump', ok: true }));
      expect(live.extra_metadata['lifeboat.recorder_kind']).toBe(server.kind === 'mariadb' ? 'mysql' : 'postgresql');
      expect(String(live.extra_metadata['lifeboat.recorder_server_version'])).toMatch(server.kind === 'mariadb' ? /^MariaDB 10\./ : /^PostgreSQL 15\./);
      expect(Number(live.extra_metadata['lifeboat.recorder_dump_size'])).toBe(live.databases.at(-1)!.bytes);
      expect(liveSummary.errors).toBe(0);
      expect(liveSummary.windowCommitsPerSecond).toBeGreaterThanOrEqual(50);
      expect(liveSummary.windowMaxCommitMs).toBeLessThan(100);
    });

    it('restores exactly the backed-up rows after rows were deleted, and the live backup holds a gap-free prefix of the commits', async () => {
      quietDigests = await tableDigests(server);
      const r = await lifeboat(['backup', 'create', '--json', '--password-file', '-'], KEY);
      output += r.stdout + r.stderr;
      expect(r.code, r.stderr).toBe(0);
      quiet = JSON.parse(r.stdout) as Created;

      await server.query('DELETE FROM events WHERE event_id % 3 = 0');
      await server.query('DELETE FROM statistics_short_term');
      const restored = await lifeboat(['-v', 'restore', quiet.backup_id, '--yes', '--password-file', '-'], KEY);
      output += restored.stdout + restored.stderr;
      expect(restored.code, restored.stderr).toBe(0);
      expect(await tableDigests(server)).toEqual(quietDigests);

      const back = await lifeboat(['restore', live.backup_id, '--database-only', '--yes', '--password-file', '-'], KEY);
      expect(back.code, back.stderr).toBe(0);
      const rows = await writerRows(server);
      expect(isConsistentPrefix(rows)).toBe(true);
      expect(rows.lastSeq).toBeGreaterThanOrEqual(liveSummary.seqAtWindowStart);
      expect(rows.lastSeq).toBeLessThanOrEqual(liveSummary.seqAtWindowEnd);
    });

    it('leaves the live data as it was when the restore is killed while it loads, and the next restore succeeds', async () => {
      await server.query('DELETE FROM events WHERE event_id % 5 = 0');
      const before = await tableDigests(server);

      const keyFile = join(data, '..', 'key.txt');
      await writeFile(keyFile, KEY, { mode: 0o600 });
      const cli = startCli(['-c', inst, '-d', data, 'restore', quiet.backup_id, '--database-only', '--yes', '--password-file', keyFile]);
      // Killed once the loader has written rows beside the live data.
      const loading =
        server.kind === 'mariadb'
          ? async () => Number((await server.query<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'homeassistant__lifeboat_new' AND TABLE_ROWS > 0"))[0]?.n) > 0
          : async () => Number((await server.query<{ n: string }>("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE query ILIKE 'COPY public.%' AND state = 'active'"))[0]?.n) > 0;
      await eventually(loading, 'the restore loading rows', 60_000);
      cli.child.kill('SIGKILL');
      const outcome = await cli.done;
      expect(outcome.signal).toBe('SIGKILL');
      expect(await tableDigests(server)).toEqual(before);

      const again = await lifeboat(['restore', quiet.backup_id, '--database-only', '--yes', '--password-file', '-'], KEY);
      expect(again.code, again.stderr).toBe(0);
      expect(await tableDigests(server)).toEqual(quietDigests);
    });

    it('refuses a SQLite recorder backup here, and this dump in a SQLite installation, touching nothing', async () => {
      const sqlite = await tmpDir('lifeboat-sqlite-');
      const sqliteData = join(sqlite, 'data');
      await mkdir(join(sqlite, 'config'));
      await mkdir(sqliteData, { mode: 0o700 });
      await chmod(sqliteData, 0o700);
      const db = new Database(join(sqlite, 'config', 'home-assistant_v2.db'));
      db.exec('CREATE TABLE states (state_id INTEGER PRIMARY KEY, state TEXT); INSERT INTO states (state) VALUES (\'on\');');
      db.close();
      const made = await runCli(['-c', join(sqlite, 'config'), '-d', sqliteData, 'backup', 'create', '--json']);
      expect(made.code, made.stderr).toBe(0);
      const sqliteBackup = (JSON.parse(made.stdout) as Created).path;

      const before = quietDigests; // as the last restore left it
      const intoServer = await lifeboat(['restore', sqliteBackup, '--database-only', '--yes']);
      expect(intoServer.code).not.toBe(0);
      expect(intoServer.stderr).toMatch(/holds a SQLite recorder database, but the installation's recorder uses (MariaDB\/MySQL|PostgreSQL) database homeassistant/);
      expect(await tableDigests(server)).toEqual(before);

      const intoSqlite = await runCli(['-c', join(sqlite, 'config'), '-d', sqliteData, 'restore', quiet.path, '--database-only', '--yes', '--password-file', '-'], { input: KEY });
      expect(intoSqlite.code).not.toBe(0);
      expect(intoSqlite.stderr).toMatch(/holds a (MariaDB\/MySQL|PostgreSQL) recorder database .* but the installation's recorder uses SQLite/);
      const check = new Database(join(sqlite, 'config', 'home-assistant_v2.db'), { readonly: true });
      expect(check.prepare('SELECT COUNT(*) AS n FROM states').get()).toEqual({ n: 1 });
      check.close();
    });

    it('leaves the database out when the setting says off, and reaches it through its socket at a custom address', async () => {
      const off = await lifeboat(['settings', 'recorder', 'off']);
      expect(off.code, off.stderr).toBe(0);
      expect(off.stdout).toMatch(/The next backup includes: none: .* is left out by the settings/);
      const without = await lifeboat(['backup', 'create', '--json']);
      expect(without.code, without.stderr).toBe(0);
      const made = JSON.parse(without.stdout) as Created;
      expect(made.databases.map((d) => d.path)).not.toContain('lifeboat-recorder-dump');
      expect(made.extra_metadata['lifeboat.recorder_kind']).toBeUndefined();

      const custom = await lifeboat(['settings', 'recorder', 'custom', '--url-file', '-'], `${server.socketUrl}\n`);
      expect(custom.code, custom.stderr).toBe(0);
      expect(custom.stdout).toMatch(/The next backup includes: .* via socket .*\(from Lifeboat settings\)/);
      expect(custom.stdout).not.toContain(server.password);
      const viaSocket = await lifeboat(['backup', 'create', '--json']);
      expect(viaSocket.code, viaSocket.stderr).toBe(0);
      expect((JSON.parse(viaSocket.stdout) as Created).databases).toContainEqual(expect.objectContaining({ path: 'lifeboat-recorder-dump', ok: true }));
      expect((await lifeboat(['settings', 'recorder', 'auto'])).code).toBe(0);
    });

    it("never shows the database's password in its output or writes it into the backup's metadata", () => {
      const encoded = encodeURIComponent(server.password);
      expect(output).not.toContain(server.password);
      expect(output).not.toContain(encoded);
      for (const made of [live, quiet]) {
        const json = execFileSync('tar', ['-xOf', made.path, './backup.json'], { encoding: 'utf8' });
        expect(json).toContain('lifeboat.recorder_dump_sha256');
        for (const secret of [server.password, encoded, 'hass']) expect(json).not.toContain(secret);
        // The port alone, not as part of a digest, an id or a size that happens to hold its digits.
        expect(json).not.toMatch(new RegExp(`(?<![0-9A-Za-z])${server.port}(?![0-9A-Za-z])`));
      }
    });

    // The database is swapped under the files' journal: killed anywhere in the swap, the next start
    // leaves both from before the restore or both restored, and no restore's data kept aside.
    it.each([
      ['restore:recorder-swapped', 'old'],
      ['restore:swap-middle', 'old'],
      ['restore:swap-committed', 'restored'],
    ] as const)('killed at %s during a whole restore, the next start leaves files and database both %s, nothing kept aside', async (point, expected) => {
      await server.query('DELETE FROM events WHERE event_id % 7 = 0');
      const before = await tableDigests(server);
      const config = join(inst, 'configuration.yaml');
      const restoredConfig = await readFile(config, 'utf8');
      await writeFile(config, `${restoredConfig}# edited after the backup\n`);
      const keyFile = join(data, '..', 'key.txt');
      await writeFile(keyFile, KEY, { mode: 0o600 });

      const crashed = await startCli(['-c', inst, '-d', data, 'restore', quiet.backup_id, '--yes', '--password-file', keyFile], { env: { LIFEBOAT_CRASH_AT: point } }).done;
      expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
      const next = await lifeboat(['backup', 'list', '--json']);
      expect(next.code, next.stderr).toBe(0);

      expect(await readFile(config, 'utf8')).toBe(expected === 'old' ? `${restoredConfig}# edited after the backup\n` : restoredConfig);
      expect(await tableDigests(server)).toEqual(expected === 'old' ? before : quietDigests);
      expect(await keptAside(server)).toBe(0);
      if (expected === 'old') await writeFile(config, restoredConfig);
    });

    // `lifeboat serve` keeps running while the server cannot be used, and asks again every half minute.
    it("settles a killed restore's database in a running Lifeboat once the server can be used again, without a restart", async () => {
      const before = await tableDigests(server);
      const secrets = join(inst, 'secrets.yaml');
      const working = await readFile(secrets, 'utf8');
      const encoded = encodeURIComponent(server.password);
      const refused = working.split(working.includes(encoded) ? encoded : server.password).join('not-the-password');
      expect(refused).not.toBe(working);
      const keyFile = join(data, '..', 'key.txt');
      await writeFile(keyFile, KEY, { mode: 0o600 });

      // `serve`, opened before the restore: there is nothing to settle when it opens.
      const core = await LifeboatCore.open({ installation: inst, data, uploadRetryIntervalMs: 100 });
      try {
        const crashed = await startCli(['-c', inst, '-d', data, 'restore', quiet.backup_id, '--yes', '--password-file', keyFile], { env: { LIFEBOAT_CRASH_AT: 'restore:recorder-swapped' } }).done;
        expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
        await writeFile(secrets, refused); // the server now refuses Lifeboat, as one that is down would

        const manager = await openManager({ installation: inst, data });
        expect(manager.interruptedRestorePending).toBe(true);
        expect(existsSync(manager.df.restoreJournal)).toBe(true);
        expect(await tableDigests(server)).toEqual(quietDigests); // as the restore left it
        expect(await manager.settleInterruptedRestore()).toBe(false);
        expect(existsSync(manager.df.restoreJournal)).toBe(true);

        // `serve`'s services (on a short timer here) settle it once the password works again.
        await core.startServices();
        await writeFile(secrets, working);
        // Settled by the services (the journal gone), and nothing waits any more once they let go of the lock.
        const settled = async () => !existsSync(manager.df.restoreJournal) && (await manager.settleInterruptedRestore());
        await eventually(settled, 'the running services to settle the restore', 30_000);
      } finally {
        await core.close();
      }
      expect(await tableDigests(server)).toEqual(before);
      expect(await keptAside(server)).toBe(0);
      expect(await readFile(secrets, 'utf8')).toBe(working);
    });
  });
}
