// How Lifeboat recognises a SQLite database in the installation (by its header, whatever its name)
// and opens a live one without writing to the installation where it can be helped.

import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import Database from 'better-sqlite3';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\u0000', 'binary');

/** True when the bytes start with SQLite's file header. */
export function isSqliteHeader(head: Uint8Array): boolean {
  return head.length >= 16 && SQLITE_MAGIC.equals(head.subarray(0, 16));
}

/** Reads a file's first 16 bytes and checks for SQLite's header. */
export async function isSqliteFile(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
    const buf = Buffer.alloc(16);
    const { bytesRead } = await fh.read(buf, 0, 16, 0);
    return bytesRead === 16 && isSqliteHeader(buf);
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

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
