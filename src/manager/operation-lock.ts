// One operation at a time per installation, across processes (and one `serve`): a lock file
// (src/util/file-lock.ts) recording the operation. It is never waited for: a second operation
// fails at once with Home Assistant's "Backup manager busy: <operation>". A lock its holder left
// behind (a crash, a pid since reused) is taken over.

import { BackupManagerError } from '../util/errors.js';
import { acquireFileLock, inspectLock, LockTimeoutError } from '../util/file-lock.js';

export interface LockInfo {
  pid: number;
  operation: string;
  since: string;
}

/** The operation holding the lock, or null when there is none or its holder left it behind. */
export async function readLock(path: string): Promise<LockInfo | null> {
  const lock = await inspectLock(path).catch(() => null);
  const r = lock?.record;
  if (!lock || lock.abandoned || !r) return null;
  return { pid: r.pid, operation: typeof r.operation === 'string' ? r.operation : 'unknown', since: r.since };
}

/** Takes the lock or throws "Backup manager busy: <operation>". Returns the release function. */
export async function acquireLock(path: string, operation: string): Promise<() => Promise<void>> {
  try {
    return await acquireFileLock(path, { timeoutMs: 0, extra: { operation } });
  } catch (err) {
    if (!(err instanceof LockTimeoutError)) throw err;
    const holder = err.holder;
    const busy = typeof holder?.operation === 'string' ? holder.operation : 'another operation';
    const where = holder && holder.pid !== process.pid ? ` (process ${holder.pid})` : '';
    throw new BackupManagerError(`Backup manager busy: ${busy}${where}`);
  }
}
