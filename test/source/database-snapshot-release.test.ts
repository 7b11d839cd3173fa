// A database's snapshot is only a means to read a consistent database into the backup. A database in
// WAL mode is never copied at all: only its log is, and that copy (with the read transaction that
// pins the database) goes the moment the image has been read. A staging copy (a database in another
// journal mode) must not sit on the disk (and in the page cache) until the whole backup is written
// and synced, but go the moment its last byte has been read — while a copy that was never read in
// full stays for the clean-up at the end.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { snapshotDatabases } from '../../src/source/database-snapshots.js';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { walkInstallation } from '../../src/source/tree-walk.js';
import { makeTree } from '../helpers/tree.js';
import { tmpDir } from '../helpers/tmp.js';

/** A database of about `mib` MiB (larger than the walk reads in one go). */
function makeDatabase(path: string, mib: number, journal: 'WAL' | 'DELETE'): void {
  const db = new Database(path);
  db.pragma(`journal_mode = ${journal}`);
  db.exec('CREATE TABLE states (id INTEGER PRIMARY KEY, state TEXT)');
  const insert = db.prepare('INSERT INTO states (state) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < mib * 1024; i++) insert.run(`${i}`.padEnd(1000, 'x'));
  })();
  db.close();
}

async function setUp(journal: 'WAL' | 'DELETE' = 'DELETE'): Promise<{ root: string; staging: string }> {
  const dir = await tmpDir();
  const root = join(dir, 'config');
  await makeTree(root, { 'configuration.yaml': 'homeassistant:\n' });
  makeDatabase(join(root, 'home-assistant_v2.db'), 3, journal);
  return { root, staging: join(dir, 'staging') };
}

describe("a WAL-mode database's snapshot", () => {
  it('writes no copy of the database, and lets go of the copy of its log once the image has been read', async () => {
    const { root, staging } = await setUp('WAL');
    const live = join(root, 'home-assistant_v2.db');
    const writer = new Database(live);
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec("INSERT INTO states (state) VALUES ('in the log')");
    const rules = ExcludeRules.forBackup({ includeDatabase: true });
    const snapshots = await snapshotDatabases({ root, rules, stagingDir: staging });
    try {
      expect(readdirSync(staging)).toEqual(['0.db-wal']);
      const chunks: Buffer[] = [];
      for await (const entry of walkInstallation({ root, rules, override: (rel) => snapshots.override(rel) })) {
        expect(entry.path.endsWith('-wal') || entry.path.endsWith('-shm')).toBe(false);
        if (entry.type !== 'file' || !entry.path.endsWith('home-assistant_v2.db')) continue;
        if (typeof entry.data !== 'function') throw new Error('the database should be streamed');
        for await (const chunk of entry.data()) chunks.push(Buffer.from(chunk));
      }
      const image = Buffer.concat(chunks);
      expect(image.length).toBe(snapshots.databases[0]?.bytes);
      await expect.poll(() => readdirSync(staging)).toEqual([]);
      const out = join(staging, '..', 'image.db');
      writeFileSync(out, image);
      const db = new Database(out, { readonly: true });
      expect(db.prepare("SELECT count(*) AS n FROM states WHERE state = 'in the log'").get()).toEqual({ n: 1 });
      db.close();
    } finally {
      await snapshots.cleanup();
      writer.close();
    }
    expect(existsSync(staging)).toBe(false);
  });
});

describe("a database's staging copy", () => {
  it('is removed as soon as the walk has read it in full, before the clean-up', async () => {
    const { root, staging } = await setUp();
    const rules = ExcludeRules.forBackup({ includeDatabase: true });
    const snapshots = await snapshotDatabases({ root, rules, stagingDir: staging });
    try {
      expect(readdirSync(staging)).toContain('0.db');
      let read = 0;
      for await (const entry of walkInstallation({ root, rules, override: (rel) => snapshots.override(rel) })) {
        if (entry.type !== 'file' || !entry.path.endsWith('home-assistant_v2.db')) continue;
        if (typeof entry.data !== 'function') throw new Error('the database should be streamed');
        for await (const chunk of entry.data()) read += chunk.length;
      }
      expect(read).toBe(snapshots.databases[0]?.bytes);
      // Gone in the background: wait for it rather than for a fixed time.
      await expect.poll(() => existsSync(join(staging, '0.db'))).toBe(false);
      expect(existsSync(join(root, 'home-assistant_v2.db'))).toBe(true);
    } finally {
      await snapshots.cleanup();
    }
    expect(existsSync(staging)).toBe(false);
  });

  it('stays until the clean-up when the walk stops before its end', async () => {
    const { root, staging } = await setUp();
    const rules = ExcludeRules.forBackup({ includeDatabase: true });
    const snapshots = await snapshotDatabases({ root, rules, stagingDir: staging });
    try {
      for await (const entry of walkInstallation({ root, rules, override: (rel) => snapshots.override(rel) })) {
        if (entry.type !== 'file' || !entry.path.endsWith('home-assistant_v2.db') || typeof entry.data !== 'function') continue;
        for await (const chunk of entry.data()) if (chunk.length) break; // the backup failed after its first chunk
        break;
      }
      expect(existsSync(join(staging, '0.db'))).toBe(true);
    } finally {
      await snapshots.cleanup();
    }
    expect(existsSync(staging)).toBe(false);
  });
});
