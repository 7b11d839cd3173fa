// A database's staging copy is only a means to read a consistent database into the backup: it must
// not sit on the disk (and in the page cache) until the whole backup is written and synced, but go
// the moment its last byte has been read — while a copy that was never read in full stays for the
// clean-up at the end.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { snapshotDatabases } from '../../src/source/database-snapshots.js';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { walkInstallation } from '../../src/source/tree-walk.js';
import { makeTree } from '../helpers/tree.js';
import { tmpDir } from '../helpers/tmp.js';

/** A WAL-mode database of about `mib` MiB (larger than the walk reads in one go). */
function makeDatabase(path: string, mib: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE states (id INTEGER PRIMARY KEY, state TEXT)');
  const insert = db.prepare('INSERT INTO states (state) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < mib * 1024; i++) insert.run(`${i}`.padEnd(1000, 'x'));
  })();
  db.close();
}

async function setUp(): Promise<{ root: string; staging: string }> {
  const dir = await tmpDir();
  const root = join(dir, 'config');
  await makeTree(root, { 'configuration.yaml': 'homeassistant:\n' });
  makeDatabase(join(root, 'home-assistant_v2.db'), 3);
  return { root, staging: join(dir, 'staging') };
}

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
