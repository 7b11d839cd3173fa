// One `lifeboat serve` per installation and data folder: a lock file taken before anything else
// is opened, refused with a clear message while another serve holds it, and taken over when its
// holder died.

import { join } from 'node:path';
import { dataFolder } from '../manager/data-folder.js';
import { ensureDataFolder } from '../manager/data-folder-guard.js';
import { acquireLock } from '../manager/operation-lock.js';
import { BackupManagerError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

/** Takes the serve lock of an installation; resolves with the function that releases it. */
export async function lockServing(installation: string, data?: string, log?: Logger): Promise<() => Promise<void>> {
  const df = dataFolder(installation, data);
  await ensureDataFolder(df, log);
  return acquireLock(join(df.root, 'serve.lock'), 'serve').catch((err: unknown) => {
    if (err instanceof BackupManagerError) throw new BackupManagerError(`Lifeboat is already serving ${df.installation}: ${err.message.replace('Backup manager busy: ', '')}`);
    throw err;
  });
}
