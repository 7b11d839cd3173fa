// The worker of snapshotSqlite: copies a live SQLite database with SQLite's online backup API in
// one step (a single read transaction; in WAL mode writers are never blocked), checks the copy with
// quick_check, and reports the pages copied and the time it took.

import { existsSync } from 'node:fs';
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

async function copy(): Promise<{ pages: number; ms: number }> {
  const started = performance.now();
  const db = openSource(source);
  let pages = 0;
  try {
    // The first step only starts the backup; the next copies every page in one read transaction.
    const result = await db.backup(target, { progress: () => 0x7fffffff });
    pages = result.totalPages;
  } finally {
    db.close();
  }
  const copied = new Database(target, { readonly: true, fileMustExist: true });
  let check: unknown;
  try {
    check = copied.pragma('quick_check', { simple: true });
  } finally {
    copied.close();
  }
  if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`);
  return { pages, ms: Math.round(performance.now() - started) };
}

copy().then(
  (done) => parentPort?.postMessage({ ok: true, ...done }),
  (err: unknown) => {
    const e = err as { message?: string; code?: string };
    parentPort?.postMessage({ ok: false, error: e?.message ?? String(err), code: e?.code });
  },
);
