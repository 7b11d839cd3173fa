// Before an installation is archived, every SQLite database in it (found by its header, not by
// name) is snapshotted consistently — pinned and later read from the live file as an image when in
// WAL mode, else copied into a staging folder; the archive then takes the snapshot instead of the
// live file and leaves out the live `-wal`, `-shm` and `-journal` files. A database that cannot be
// snapshotted is left out and reported — the backup itself goes on.

import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachLimit } from '../util/concurrency.js';
import type { ExcludeRules } from './exclude-rules.js';
import { isSqliteFile } from './sqlite-live.js';
import { snapshotSqlite, type DatabaseSnapshot } from './sqlite-snapshot.js';
import type { EntryOverride } from './tree-walk.js';

/** Home Assistant's recorder database. */
export const RECORDER_DB = 'home-assistant_v2.db';
const SIDECARS = ['-wal', '-shm', '-journal'];
const MIN_DB_SIZE = 512;

export interface DatabaseCopy {
  /** Path relative to the installation. */
  path: string;
  ok: boolean;
  bytes: number;
  ms: number;
  error?: string;
}

export interface DatabaseSnapshots {
  databases: DatabaseCopy[];
  /** True when the recorder database exists but could not be copied. */
  recorderFailed: boolean;
  /** What the archive walk should do with a path: take the copy, or skip a live sidecar. */
  override(relativePath: string): EntryOverride | undefined;
  /** Releases the pinned databases and removes the staging copies. */
  cleanup(): Promise<void>;
}

/** Finds files with SQLite's header below `root`, honouring the exclude rules. */
export async function findSqliteDatabases(root: string, rules: ExcludeRules): Promise<{ rel: string; size: number }[]> {
  const candidates: { rel: string; abs: string; size: number }[] = [];
  async function walk(dir: string, relDir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (rules.excludes(rel)) continue;
      if (e.isDirectory()) await walk(join(dir, e.name), rel);
      else if (e.isFile() && !SIDECARS.some((s) => e.name.endsWith(s))) {
        candidates.push({ rel, abs: join(dir, e.name), size: 0 });
      }
    }
  }
  await walk(root, '');
  const found: { rel: string; size: number }[] = [];
  await forEachLimit(candidates, 16, async (c) => {
    const st = await stat(c.abs).catch(() => null);
    if (!st || st.size < MIN_DB_SIZE) return;
    if (await isSqliteFile(c.abs)) found.push({ rel: c.rel, size: st.size });
  });
  return found.sort((a, b) => a.rel.localeCompare(b.rel));
}

export interface SnapshotOptions {
  root: string;
  rules: ExcludeRules;
  /** An empty folder for the copies (created if missing, removed by cleanup). */
  stagingDir: string;
  onDatabase?: (copy: DatabaseCopy) => void;
}

export async function snapshotDatabases(opts: SnapshotOptions): Promise<DatabaseSnapshots> {
  const found = await findSqliteDatabases(opts.root, opts.rules);
  await mkdir(opts.stagingDir, { recursive: true });
  const snapshots = new Map<string, DatabaseSnapshot | null>();
  const databases: DatabaseCopy[] = [];
  let index = 0;
  const release = (): void => {
    for (const snapshot of snapshots.values()) if (snapshot?.kind === 'image') snapshot.image.release();
  };
  try {
    for (const db of found) {
      const started = Date.now();
      let copy: DatabaseCopy;
      try {
        const snapshot = await snapshotSqlite(join(opts.root, db.rel), join(opts.stagingDir, `${index++}.db`));
        snapshots.set(db.rel, snapshot);
        const bytes = snapshot.kind === 'image' ? snapshot.image.size : (await stat(snapshot.path)).size;
        copy = { path: db.rel, ok: true, bytes, ms: Date.now() - started };
      } catch (err) {
        copy = { path: db.rel, ok: false, bytes: db.size, ms: Date.now() - started, error: (err as Error).message };
        const taken = snapshots.get(db.rel);
        if (taken?.kind === 'image') taken.image.release();
        snapshots.set(db.rel, null);
      }
      databases.push(copy);
      opts.onDatabase?.(copy);
    }
  } catch (err) {
    release();
    throw err;
  }
  return {
    databases,
    recorderFailed: databases.some((d) => d.path === RECORDER_DB && !d.ok),
    override(rel) {
      if (snapshots.has(rel)) {
        const snapshot = snapshots.get(rel);
        if (!snapshot) return { kind: 'skip' };
        if (snapshot.kind === 'copy') return { kind: 'replace', path: snapshot.path, readOnce: true };
        return { kind: 'stream', size: snapshot.image.size, open: () => snapshot.image.stream() };
      }
      for (const suffix of SIDECARS) {
        if (rel.endsWith(suffix) && snapshots.has(rel.slice(0, -suffix.length))) return { kind: 'skip' };
      }
      return undefined;
    },
    async cleanup() {
      release();
      await rm(opts.stagingDir, { recursive: true, force: true });
    },
  };
}
