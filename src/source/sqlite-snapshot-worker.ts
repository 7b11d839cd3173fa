// The worker of snapshotSqlite for databases not in WAL mode: SQLite's online backup API in one
// step (a single read transaction), off the event loop. Reports the pages copied and the time.

import { parentPort, workerData } from 'node:worker_threads';
import { openLiveDatabase } from './sqlite-live.js';

const { source, target } = workerData as { source: string; target: string };

async function copy(): Promise<{ pages: number; ms: number }> {
  const started = performance.now();
  const db = openLiveDatabase(source);
  try {
    // The first step only starts the backup; the next copies every page in one read transaction.
    const { totalPages } = await db.backup(target, { progress: () => 0x7fffffff });
    return { pages: totalPages, ms: Math.round(performance.now() - started) };
  } finally {
    db.close();
  }
}

copy().then(
  (done) => parentPort?.postMessage({ ok: true, ...done }),
  (err: unknown) => {
    const e = err as { message?: string; code?: string };
    parentPort?.postMessage({ ok: false, error: e?.message ?? String(err), code: e?.code });
  },
);
