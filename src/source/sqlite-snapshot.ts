// Consistent copies of live SQLite databases without taking them offline: SQLite's online backup
// API in one step (a single read transaction; in WAL mode writers are never blocked), run in a
// worker thread so the event loop stays responsive, followed by a quick_check of the copy.

import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);
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

const SNAPSHOT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const fs = require('node:fs');
// With a live -wal (the database is in use) read-only, so nothing of the installation is written;
// without one, a normal connection, which removes the -wal/-shm it creates when it closes.
function openSource(path) {
  if (fs.existsSync(path + '-wal')) {
    try { return new Database(path, { readonly: true, fileMustExist: true, timeout: 10000 }); } catch (e) { /* fall through */ }
  }
  return new Database(path, { fileMustExist: true, timeout: 10000 });
}
(async () => {
  const started = Date.now();
  const db = openSource(workerData.source);
  let pages = 0;
  try {
    // The first step only starts the backup; the next copies every page in one read transaction.
    const result = await db.backup(workerData.target, { progress: () => 0x7fffffff });
    pages = result.totalPages;
  } finally {
    db.close();
  }
  const copy = new Database(workerData.target, { readonly: true, fileMustExist: true });
  let check;
  try { check = copy.pragma('quick_check', { simple: true }); } finally { copy.close(); }
  if (check !== 'ok') throw new Error('the copy failed its integrity check: ' + check);
  parentPort.postMessage({ ok: true, pages, ms: Date.now() - started });
})().catch((e) => parentPort.postMessage({ ok: false, error: (e && e.message) || String(e), code: e && e.code }));
`;

export interface SnapshotResult {
  pages: number;
  ms: number;
}

/**
 * Copies the database at `source` to `target` (which must not exist) consistently. Rejects with
 * the SQLite error when the copy is impossible (locked, corrupt, not a database, disk full).
 */
export function snapshotSqlite(source: string, target: string): Promise<SnapshotResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SNAPSHOT_WORKER, {
      eval: true,
      workerData: { modulePath: require.resolve('better-sqlite3'), source, target },
    });
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
