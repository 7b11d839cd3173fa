// Whose the restored files will be. A restore creates every file as the user Lifeboat runs as, so
// Lifeboat runs as the user Home Assistant writes the configuration as (the README's "Whose files").
// Run as root over an installation whose files Home Assistant writes as another user (a `sudo
// lifeboat restore` beside a Home Assistant that runs as `homeassistant`), it would leave files Home
// Assistant cannot change: that restore is refused before anything is extracted, saying as whom to
// run it. Home Assistant's user is read off what it writes itself (`.storage`, else `.HA_VERSION`),
// not off the folder, which may have been made by someone else (a folder a user made and handed to a
// Home Assistant container that runs as root).

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupManagerError } from '../util/errors.js';

/** The restore would hand the installation's files to another user. */
export class RestoreOwnerError extends BackupManagerError {
  override readonly code: string = 'restore_owner_mismatch';
}

/** The user Home Assistant writes the installation as: the owner of `.storage`, `.HA_VERSION` or the folder; null for none of them. */
async function homeAssistantUser(root: string): Promise<number | null> {
  for (const path of [join(root, '.storage'), join(root, '.HA_VERSION'), root]) {
    const st = await stat(path).catch(() => null);
    if (st) return st.uid;
  }
  return null;
}

/** Refuses a restore as root into an installation that Home Assistant writes as another user (a missing folder is anyone's). */
export async function checkRestoreOwner(root: string, uid: number | undefined = process.getuid?.()): Promise<void> {
  if (uid !== 0) return;
  const owner = await homeAssistantUser(root);
  if (owner === null || owner === 0) return;
  throw new RestoreOwnerError(
    `The installation ${root} is written by user ${owner}, and Lifeboat runs as root: every restored file would belong to root, and Home Assistant, running as user ${owner}, could not change them. Run the restore as that user (for example: sudo -u '#${owner}' lifeboat …)`,
  );
}
