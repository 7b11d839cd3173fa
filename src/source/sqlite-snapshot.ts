// Consistent copies of live SQLite databases without taking them offline: a database in WAL mode
// is copied as files under a pinned read snapshot and settled into one file (sqlite-wal-copy.ts),
// any other with SQLite's online backup API in a worker thread (sqlite-snapshot-worker.ts), so the
// event loop stays responsive. Writers to a database in WAL mode are never blocked.

import { open } from 'node:fs/promises';
import { startWorker } from '../util/worker-module.js';
import { copyWalDatabase, isWalMode, openLiveDatabase } from './sqlite-wal-copy.js';
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

export interface SnapshotResult {
  pages: number;
  ms: number;
}

/**
 * Copies the database at `source` to `target` (which must not exist) consistently. Rejects with
 * the SQLite error when the copy is impossible (locked, corrupt, not a database, disk full).
 */
export async function snapshotSqlite(source: string, target: string): Promise<SnapshotResult> {
  const started = performance.now();
  const db = openLiveDatabase(source);
  try {
    if (isWalMode(db)) return { pages: await copyWalDatabase(db, source, target), ms: Math.round(performance.now() - started) };
  } finally {
    db.close();
  }
  return backupInWorker(source, target);
}

function backupInWorker(source: string, target: string): Promise<SnapshotResult> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(import.meta.url, 'sqlite-snapshot-worker', { workerData: { source, target } });
    let settled = false;
    worker.once('message', (msg: { ok: boolean; pages: number; ms: number; error?: string; code?: string }) => {
      settled = true;
      if (msg.ok) resolve({ pages: msg.pages, ms: msg.ms });
      else reject(Object.assign(new Error(msg.error ?? 'database copy failed'), { code: msg.code }));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`database copy worker exited with code ${code}`));
    });
  });
}
