// A consistent image of a live SQLite database in WAL mode, read straight from the live file instead
// of from a copy of it: a read transaction pins one snapshot (writers go on), the -wal is copied
// (it is small: SQLite checkpoints it every thousand pages by default), and the image is the database
// file's pages with the copied log's committed frames laid over them — the very bytes SQLite makes
// when it replays that log into the file and checkpoints it, without writing a copy of the database
// to disk, reading it back, and freeing it again.
//
// Why it is consistent: while the read transaction is held (until the image has been read, or
// released), a checkpoint writes into the database file only pages that have frames in the log up
// to the pinned snapshot — frames the copy, taken after the pin, holds — and the log cannot be
// restarted past the snapshot. Every page of the database file is therefore either unchanged since
// the pin or present, whole, in the copy, whose newest committed version wins; pages past the file's
// end that the log does not hold read as zeros, as a checkpoint would leave them. When the log was
// fully checkpointed at the pin, no checkpoint can write the file at all until the transaction ends.

import { closeSync, constants, existsSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { copyFile, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import type Database from 'better-sqlite3';
import { handOver } from '../util/owned-chunks.js';
import { isSqliteHeader } from './sqlite-live.js';
import { indexWal, type WalIndex } from './wal-frames.js';

const readFd = promisify(read);

/** Bytes of the image read from the database file per step. */
const CHUNK = 1 << 20;

/** A pinned, consistent state of a database, to be read once. */
export interface DatabaseImage {
  /** Bytes of the image: its pages times the page size. */
  size: number;
  pages: number;
  /** The image's bytes, once; ends (releases) the pin when read to the end or stopped. */
  stream(): AsyncGenerator<Buffer>;
  /** Ends the read transaction and closes and removes what the pin holds; safe to call again. */
  release(): void;
}

/** Reads `length` bytes at `position` in full, or fewer only at the end of the file. */
async function readAt(fd: number, into: Buffer, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await readFd(fd, into, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Pins the database open as `db` (in WAL mode; the image owns the connection from here on, and
 * closes it on release) and copies its -wal to `walCopy`.
 */
export async function pinWalImage(db: Database.Database, source: string, walCopy: string): Promise<DatabaseImage> {
  let dbFd: number | null = null;
  let walFd: number | null = null;
  let released = false;
  let streamed = false;
  const release = (): void => {
    if (released) return;
    released = true;
    try {
      if (db.inTransaction) db.exec('COMMIT');
    } finally {
      db.close();
      if (dbFd !== null) closeSync(dbFd);
      if (walFd !== null) closeSync(walFd);
      void unlink(walCopy).catch(() => undefined);
    }
  };
  try {
    db.exec('BEGIN');
    db.prepare('SELECT count(*) FROM sqlite_schema').get(); // takes the read lock: the pin
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    dbFd = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW);
    const fileSize = fstatSync(dbFd).size;
    let index: WalIndex | null = null;
    if (existsSync(`${source}-wal`)) {
      await copyFile(`${source}-wal`, walCopy, constants.COPYFILE_FICLONE);
      walFd = openSync(walCopy, constants.O_RDONLY);
      index = await indexWal(walFd, fstatSync(walFd).size);
    }
    if (index && index.pages > 0 && index.pageSize !== pageSize) {
      throw new Error(`the write-ahead log's page size (${index.pageSize}) is not the database's (${pageSize})`);
    }
    const pages = index && index.pages > 0 ? index.pages : Math.floor(fileSize / pageSize);
    if (pages === 0) throw new Error('the database is empty');
    const overlay = index && index.pages > 0 ? index.overlay : [];
    const image: DatabaseImage = {
      size: pages * pageSize,
      pages,
      release,
      stream: () => {
        // Its files are closed once released: their descriptors may name other files by then.
        if (released || streamed) throw new Error('a database image is read only once, while it is pinned');
        streamed = true;
        return streamImage({ dbFd: dbFd as number, walFd, pageSize, pages, overlay, release });
      },
    };
    return image;
  } catch (err) {
    release();
    throw err;
  }
}

interface ImageParts {
  dbFd: number;
  walFd: number | null;
  pageSize: number;
  pages: number;
  overlay: WalIndex['overlay'];
  release: () => void;
}

async function* streamImage(parts: ImageParts): AsyncGenerator<Buffer> {
  const { dbFd, walFd, pageSize, pages, overlay, release } = parts;
  const perChunk = Math.max(1, Math.floor(CHUNK / pageSize));
  let next = 0; // the first overlay entry not yet laid
  try {
    for (let first = 1; first <= pages; first += perChunk) {
      const count = Math.min(perChunk, pages - first + 1);
      const chunk = Buffer.allocUnsafe(count * pageSize);
      const got = await readAt(dbFd, chunk, chunk.length, (first - 1) * pageSize);
      chunk.fill(0, got);
      for (; next < overlay.length && (overlay[next] as { page: number }).page < first + count; next++) {
        const { page, offset } = overlay[next] as { page: number; offset: number };
        const at = (page - first) * pageSize;
        if (readSync(walFd as number, chunk, at, pageSize, offset) !== pageSize) throw new Error('the copy of the write-ahead log ended early');
      }
      if (first === 1 && !isSqliteHeader(chunk)) throw new Error('the database image does not start with a SQLite header');
      yield handOver(chunk); // the compressor frees it once copied (a small pooled one is left to the collector)
    }
  } finally {
    release();
  }
}
