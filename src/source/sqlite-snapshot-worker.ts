// The worker of snapshotSqlite. A database in WAL mode is copied as files: a read transaction pins
// one snapshot (writers go on), the database file and then its -wal are copied by the kernel, and
// opening the copy lets SQLite replay the copied WAL up to its last complete commit and fold it in,
// so the copy is one self-contained file of a committed state. Any other database is copied with
// SQLite's online backup API in one step. The time is reported with the pages copied.
//
// Why the file copy is consistent: while the read transaction is held, the WAL cannot be restarted
// past it, and a checkpoint writes into the database file only pages that have frames in the WAL up
// to the pinned snapshot — frames the later copy of the -wal holds. A page of the database file is
// therefore either unchanged since the snapshot or also present, whole, in the copied WAL, which
// wins on replay; frames beyond the snapshot are replayed only up to a commit SQLite can verify.

import { copyFileSync, existsSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { source, target } = workerData as { source: string; target: string };

/**
 * With a live -wal (the database is in use) read-only, so nothing of the installation is written;
 * without one, a normal connection, which removes the -wal/-shm it creates when it closes.
 */
function openSource(path: string): Database.Database {
  if (existsSync(`${path}-wal`)) {
    try {
      return new Database(path, { readonly: true, fileMustExist: true, timeout: 10_000 });
    } catch {
      // fall through to a normal connection
    }
  }
  return new Database(path, { fileMustExist: true, timeout: 10_000 });
}

/** Copies the files of a WAL database under a pinned snapshot; returns the snapshot's pages. */
function copyWalFiles(db: Database.Database): number {
  db.exec('BEGIN');
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get(); // takes the read lock: the snapshot
    const pages = Number(db.pragma('page_count', { simple: true }));
    copyFileSync(source, target);
    if (existsSync(`${source}-wal`)) copyFileSync(`${source}-wal`, `${target}-wal`);
    return pages;
  } finally {
    db.exec('COMMIT');
  }
}

/** Opens the copy alone: SQLite replays its WAL, and closing the only connection checkpoints and removes it. */
function settleCopy(): void {
  const copy = new Database(target, { fileMustExist: true });
  try {
    copy.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    copy.close();
  }
  if (existsSync(`${target}-wal`)) throw new Error('the copy kept a write-ahead log after it was settled');
}

async function copy(): Promise<{ pages: number; ms: number }> {
  const started = performance.now();
  const db = openSource(source);
  let pages = 0;
  let wal = false;
  try {
    wal = String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    if (wal) pages = copyWalFiles(db);
    // The first step only starts the backup; the next copies every page in one read transaction.
    else pages = (await db.backup(target, { progress: () => 0x7fffffff })).totalPages;
  } finally {
    db.close();
  }
  if (wal) settleCopy();
  return { pages, ms: Math.round(performance.now() - started) };
}

copy().then(
  (done) => parentPort?.postMessage({ ok: true, ...done }),
  (err: unknown) => {
    const e = err as { message?: string; code?: string };
    parentPort?.postMessage({ ok: false, error: e?.message ?? String(err), code: e?.code });
  },
);
