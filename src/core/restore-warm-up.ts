// What a restore can start before the application is loaded: the extraction worker, which then
// boots on another core while the command line loads and opens the core (a restore that never
// reaches its extraction leaves it idle; it does not keep the process alive), and, when the password
// and the backup are known — its file, or its id in the local backup folder — the derivation of the
// archive's key (Argon2id, about 0.15 s of one core), which would otherwise begin only once the core
// has opened the file.

import { homeAssistantRootSalt, homeAssistantRootSaltById } from '../archive/root-salt.js';
import { deriveAhead } from '../archive/securetar/securetar-v3.js';

export { warmUpExtractWorker as warmUpRestore } from '../archive/extract-writer.js';

/** Begins deriving the key of the salt `salt` resolves to; never fails (the restore reports what went wrong). */
async function deriveFor(salt: Promise<Buffer | null>, password: string): Promise<boolean> {
  try {
    const found = await salt;
    return found !== null && deriveAhead(password, found) !== null;
  } catch {
    return false;
  }
}

/**
 * Begins deriving the key that `password` gives the backup `file`'s Home Assistant archive (SecureTar
 * v3), for the restore to take; resolves whether it began. It never fails: a file that cannot be
 * read, or a password that does not fit, is the restore's to report when it gets there.
 */
export function deriveRestoreKeyAhead(file: string, password: string, budgetMs?: number): Promise<boolean> {
  return deriveFor(homeAssistantRootSalt(file, budgetMs), password);
}

/** As deriveRestoreKeyAhead, for the backup `backupId` among the backup files in `folder`. */
export function deriveRestoreKeyAheadById(folder: string, backupId: string, password: string, budgetMs?: number): Promise<boolean> {
  return deriveFor(homeAssistantRootSaltById(folder, backupId, budgetMs), password);
}
