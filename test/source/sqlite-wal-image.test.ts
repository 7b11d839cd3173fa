// A live WAL-mode database goes into a backup as an image read from its own file with the log's
// committed frames laid over it. It must be exactly what SQLite makes of the same files, and hold
// the pinned state while another connection commits, checkpoints and restarts the log meanwhile.

import { copyFileSync, existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openLiveDatabase } from '../../src/source/sqlite-live.js';
import { pinWalImage, type DatabaseImage } from '../../src/source/sqlite-wal-image.js';
import { FRAME_HEADER, WAL_HEADER, walChecksum } from '../../src/source/wal-frames.js';
import { tmpDir } from '../helpers/tmp.js';

const ROW = 'x'.repeat(900);

/** A WAL-mode database with automatic checkpoints off, so its log keeps what is committed. */
function walDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('busy_timeout = 0'); // a checkpoint the pin holds back reports busy at once
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  return db;
}

function insert(db: Database.Database, rows: number): void {
  const stmt = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) stmt.run(ROW);
  })();
}

/** A database with 1000 checkpointed rows and `commits` more transactions of `rows` rows left in its log. */
function databaseWithLog(dir: string, commits: number, rows: number): { source: string; db: Database.Database; pageSize: number } {
  const source = join(dir, 'live.db');
  const db = walDatabase(source);
  insert(db, 1000);
  db.pragma('wal_checkpoint(TRUNCATE)');
  for (let i = 0; i < commits; i++) insert(db, rows);
  return { source, db, pageSize: Number(db.pragma('page_size', { simple: true })) };
}

/** What SQLite makes of a database file and its log: both copied aside, opened, checkpointed, closed. */
function foldedBySqlite(dir: string, source: string): Buffer {
  const aside = join(dir, `folded-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(source, aside);
  if (existsSync(`${source}-wal`)) copyFileSync(`${source}-wal`, `${aside}-wal`);
  const db = new Database(aside);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return readFileSync(aside);
}

async function pin(source: string, dir: string): Promise<DatabaseImage> {
  return pinWalImage(openLiveDatabase(source), source, join(dir, `pin-${Math.random().toString(36).slice(2)}.db-wal`));
}

async function readImage(image: DatabaseImage, between?: () => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of image.stream()) {
    chunks.push(Buffer.from(chunk));
    between?.();
  }
  return Buffer.concat(chunks);
}

/** Row count and integrity of database bytes, opened on their own. */
function inspect(dir: string, bytes: Buffer): { rows: number; integrity: string } {
  const path = join(dir, `inspect-${Math.random().toString(36).slice(2)}.db`);
  writeFileSync(path, bytes);
  const db = new Database(path, { readonly: true });
  try {
    return {
      rows: (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n,
      integrity: String(db.pragma('integrity_check', { simple: true })),
    };
  } finally {
    db.close();
  }
}

describe('the image of a live WAL-mode database', () => {
  it('is byte for byte the file SQLite makes by folding the log into the database', async () => {
    const dir = await tmpDir();
    const source = join(dir, 'live.db');
    const db = walDatabase(source);
    insert(db, 3000);
    db.pragma('wal_checkpoint(TRUNCATE)');
    // Commits left in the log: new pages, pages changed several times, and a shrink.
    insert(db, 500);
    db.exec("UPDATE t SET v = 'changed' WHERE id % 7 = 0");
    db.exec('DELETE FROM t WHERE id > 3200');
    db.exec('VACUUM');
    insert(db, 10);
    const expected = foldedBySqlite(dir, source);
    const image = await pin(source, dir);
    const bytes = await readImage(image);
    db.close();
    expect(image.size).toBe(bytes.length);
    expect(bytes.equals(expected)).toBe(true);
  });

  it('is the database file alone when the log is empty', async () => {
    const dir = await tmpDir();
    const source = join(dir, 'live.db');
    const db = walDatabase(source);
    insert(db, 2000);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const image = await pin(source, dir);
    const bytes = await readImage(image);
    db.close();
    expect(bytes.equals(readFileSync(source))).toBe(true);
  });

  it('ends the log where SQLite ends it: a torn last frame, or a damaged frame and all after it, do not count', async () => {
    const dir = await tmpDir();
    const { source, db, pageSize } = databaseWithLog(dir, 6, 40);
    const frame = FRAME_HEADER + pageSize;
    const damages: Record<string, (wal: string) => void> = {
      torn: (wal) => truncateSync(wal, readFileSync(wal).length - 100),
      flipped: (wal) => {
        const bytes = readFileSync(wal);
        const frames = (bytes.length - WAL_HEADER) / frame;
        const at = WAL_HEADER + Math.floor(frames / 2) * frame + FRAME_HEADER + 10;
        bytes[at] = (bytes[at] as number) ^ 0xff;
        writeFileSync(wal, bytes);
      },
    };
    const whole = inspect(dir, foldedBySqlite(dir, source));
    for (const [name, damage] of Object.entries(damages)) {
      // The files as a crash would leave them: the database, its damaged log, no wal-index.
      const copy = join(dir, `${name}.db`);
      copyFileSync(source, copy);
      copyFileSync(`${source}-wal`, `${copy}-wal`);
      damage(`${copy}-wal`);
      const expected = foldedBySqlite(dir, copy);
      const bytes = await readImage(await pinWalImage(new Database(copy), copy, join(dir, `${name}.pin-wal`)));
      expect(bytes.equals(expected), name).toBe(true);
      const seen = inspect(dir, bytes);
      expect(seen.integrity, name).toBe('ok');
      expect(seen.rows, name).toBeLessThan(whole.rows);
    }
    db.close();
  });

  it('reads a log written with big-endian checksums as SQLite does', async () => {
    const dir = await tmpDir();
    const { source, db, pageSize } = databaseWithLog(dir, 4, 50);
    const copy = join(dir, 'big-endian.db');
    copyFileSync(source, copy);
    // The same log as a big-endian machine writes it: magic 0x377f0683, checksums over big-endian words.
    const wal = readFileSync(`${source}-wal`);
    const view = new DataView(wal.buffer, wal.byteOffset, wal.length);
    view.setUint32(0, 0x377f0683);
    let sum = walChecksum(view, 0, 24, false, [0, 0]);
    view.setUint32(24, sum[0]);
    view.setUint32(28, sum[1]);
    for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.length; at += FRAME_HEADER + pageSize) {
      sum = walChecksum(view, at, 8, false, sum);
      sum = walChecksum(view, at + FRAME_HEADER, pageSize, false, sum);
      view.setUint32(at + 16, sum[0]);
      view.setUint32(at + 20, sum[1]);
    }
    writeFileSync(`${copy}-wal`, wal);
    const expected = foldedBySqlite(dir, copy);
    expect(inspect(dir, expected).rows).toBe(1200); // SQLite took the rewritten log's frames
    const bytes = await readImage(await pinWalImage(new Database(copy), copy, join(dir, 'big-endian.pin-wal')));
    expect(bytes.equals(expected)).toBe(true);
    db.close();
  });

  it('holds the pinned state while another connection commits, checkpoints and restarts the log', async () => {
    const dir = await tmpDir();
    for (const atPin of ['log holds commits', 'log checkpointed, not emptied', 'log emptied'] as const) {
      const source = join(dir, `${atPin.replaceAll(/\W+/g, '-')}.db`);
      const writer = walDatabase(source);
      insert(writer, 4000); // about 4 MiB: the image is read in several chunks
      writer.pragma('wal_checkpoint(TRUNCATE)');
      insert(writer, 300);
      // Checkpointed in full, the pin reads the database file alone and the writer restarts the log over the old frames.
      if (atPin === 'log checkpointed, not emptied') writer.pragma('wal_checkpoint(FULL)');
      if (atPin === 'log emptied') writer.pragma('wal_checkpoint(TRUNCATE)');
      const pinned = (writer.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
      const image = await pin(source, dir);
      let rounds = 0;
      const bytes = await readImage(image, () => {
        // Between chunks: more commits, changes to pages already read and not yet read, and every kind of checkpoint.
        insert(writer, 200);
        writer.exec(`UPDATE t SET v = 'round ${rounds++}' WHERE id % 5 = 0`);
        writer.pragma('wal_checkpoint(PASSIVE)');
        writer.pragma('wal_checkpoint(RESTART)');
        writer.pragma('wal_checkpoint(TRUNCATE)');
      });
      expect(rounds, atPin).toBeGreaterThan(2);
      const seen = inspect(dir, bytes);
      expect(seen, atPin).toEqual({ rows: pinned, integrity: 'ok' });
      // The pin is gone once the image was read: the writer's log can be checkpointed in full again.
      const [result] = writer.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      expect(result?.busy, atPin).toBe(0);
      writer.close();
    }
  });

  it('is released when its reader stops early, and does not start when the database cannot be pinned', async () => {
    const dir = await tmpDir();
    const source = join(dir, 'live.db');
    const writer = walDatabase(source);
    insert(writer, 3000);
    const image = await pin(source, dir);
    insert(writer, 10);
    expect((writer.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0]?.busy).toBe(1);
    for await (const chunk of image.stream()) if (chunk.length) break;
    expect((writer.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0]?.busy).toBe(0);
    expect(() => image.stream()).toThrow(/only once/);
    writer.close();

    const notADatabase = join(dir, 'plain.db');
    writeFileSync(notADatabase, 'SQLite format 3\u0000'.padEnd(4096, '!'));
    await expect(pin(notADatabase, dir)).rejects.toThrow();
  });
});
