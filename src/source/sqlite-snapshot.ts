// Consistent snapshots of live SQLite databases without taking them offline: a database in WAL mode
// is pinned and read straight from its file as an image (sqlite-wal-image.ts); any other is copied
// with SQLite's online backup API in a worker thread (sqlite-snapshot-worker.ts), so the event loop
// stays responsive. Writers to a database in WAL mode are never blocked.

import { startWorker } from '../util/worker-module.js';
import { isWalMode, openLiveDatabase } from './sqlite-live.js';
import { pinWalImage, type DatabaseImage } from './sqlite-wal-image.js';

/** A database's consistent state: an image read from the live file, or a copy in the staging folder. */
export type DatabaseSnapshot = { kind: 'image'; image: DatabaseImage } | { kind: 'copy'; path: string };

interface SnapshotResult {
  pages: number;
  ms: number;
}

/**
 * Takes a consistent snapshot of the database at `source`; `staging` is a path of the staging folder
 * that does not exist yet (the copy, or the copy of the -wal, goes there). Rejects with the SQLite
 * error when it is impossible (locked, corrupt, not a database, disk full).
 */
export async function snapshotSqlite(source: string, staging: string): Promise<DatabaseSnapshot> {
  const db = openLiveDatabase(source);
  let wal: boolean;
  try {
    wal = isWalMode(db);
  } catch (err) {
    db.close();
    throw err;
  }
  if (wal) return { kind: 'image', image: await pinWalImage(db, source, `${staging}-wal`) };
  db.close();
  await backupInWorker(source, staging);
  return { kind: 'copy', path: staging };
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
