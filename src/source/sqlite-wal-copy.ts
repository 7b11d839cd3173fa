// Copies a live SQLite database in WAL mode as files, on the calling thread: a read transaction
// pins one snapshot (writers go on), the database file and then its -wal are cloned or copied by the kernel
// (off the event loop), and opening the copy alone lets SQLite replay the copied WAL up to its last
// complete commit and fold it in, so the copy is one self-contained file of a committed state.
//
// Why the file copy is consistent: while the read transaction is held, the WAL cannot be restarted
// past it, and a checkpoint writes into the database file only pages that have frames in the WAL up
// to the pinned snapshot — frames the later copy of the -wal holds. A page of the database file is
// therefore either unchanged since the snapshot or also present, whole, in the copied WAL, which
// wins on replay; frames beyond the snapshot are replayed only up to a commit SQLite can verify.

import { constants, existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import Database from 'better-sqlite3';

/**
 * With a live -wal (the database is in use) read-only, so nothing of the installation is written;
 * without one, a normal connection, which removes the -wal/-shm it creates when it closes.
 */
export function openLiveDatabase(path: string): Database.Database {
  if (existsSync(`${path}-wal`)) {
    try {
      return new Database(path, { readonly: true, fileMustExist: true, timeout: 10_000 });
    } catch {
      // fall through to a normal connection
    }
  }
  return new Database(path, { fileMustExist: true, timeout: 10_000 });
}

export function isWalMode(db: Database.Database): boolean {
  return String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
}

/** Copies the files of the WAL database open as `db` under a pinned snapshot; resolves the snapshot's pages. */
export async function copyWalDatabase(db: Database.Database, source: string, target: string): Promise<number> {
  let pages: number;
  db.exec('BEGIN');
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get(); // takes the read lock: the snapshot
    pages = Number(db.pragma('page_count', { simple: true }));
    // A clone where the file system shares blocks (Btrfs, XFS), else a copy by the kernel.
    await copyFile(source, target, constants.COPYFILE_FICLONE);
    if (existsSync(`${source}-wal`)) await copyFile(`${source}-wal`, `${target}-wal`, constants.COPYFILE_FICLONE);
  } finally {
    db.exec('COMMIT');
  }
  settleCopy(target);
  return pages;
}

/** Opens the copy alone: SQLite replays its WAL, and closing the only connection checkpoints and removes it. */
function settleCopy(target: string): void {
  const copy = new Database(target, { fileMustExist: true });
  try {
    copy.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    copy.close();
  }
  if (existsSync(`${target}-wal`)) throw new Error('the copy kept a write-ahead log after it was settled');
}
