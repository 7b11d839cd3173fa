// One operation at a time per installation, across processes: a lock file created exclusively
// holding the owner's pid; a lock whose process has died is stale and is taken over.

import { open, readFile, unlink } from 'node:fs/promises';
import { BackupManagerError } from '../archive/errors.js';
import { processAlive } from '../util/process-alive.js';


export interface LockInfo {
  pid: number;
  operation: string;
  since: string;
}

export async function readLock(path: string): Promise<LockInfo | null> {
  try {
    const info = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

/** Takes the lock or throws "Backup manager busy: <operation>". Returns the release function. */
export async function acquireLock(path: string, operation: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(JSON.stringify({ pid: process.pid, operation, since: new Date().toISOString() }));
      await fh.close();
      return async () => {
        const info = await readLock(path);
        if (info?.pid === process.pid) await unlink(path).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const info = await readLock(path);
      if (info && info.pid !== process.pid && processAlive(info.pid)) {
        throw new BackupManagerError(`Backup manager busy: ${info.operation} (process ${info.pid})`);
      }
      if (info && info.pid === process.pid) throw new BackupManagerError(`Backup manager busy: ${info.operation}`);
      await unlink(path).catch(() => undefined); // stale: its process is gone
    }
  }
  throw new BackupManagerError('Backup manager busy: could not take the operation lock');
}
