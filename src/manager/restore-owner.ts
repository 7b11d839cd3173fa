// Whose the restored files will be. A restore creates every file as the user Lifeboat runs as, so
// Lifeboat runs as the owner of the configuration folder (the README's "Whose files"). Run as root
// over an installation that belongs to another user (a `sudo lifeboat restore` beside a Home
// Assistant that runs as `homeassistant`), it would leave files Home Assistant cannot change: that
// restore is refused before anything is extracted, saying as whom to run it.

import { lstat } from 'node:fs/promises';
import { BackupManagerError } from '../util/errors.js';

/** The restore would hand the installation's files to another user. */
export class RestoreOwnerError extends BackupManagerError {
  override readonly code: string = 'restore_owner_mismatch';
}

/** Refuses a restore as root into an installation folder that belongs to another user (a missing folder is anyone's). */
export async function checkRestoreOwner(root: string, uid: number | undefined = process.getuid?.()): Promise<void> {
  if (uid !== 0) return;
  const st = await lstat(root).catch(() => null);
  if (!st || st.uid === 0) return;
  throw new RestoreOwnerError(
    `The installation ${root} belongs to user ${st.uid}, and Lifeboat runs as root: every restored file would belong to root, and Home Assistant, running as user ${st.uid}, could not change them. Run the restore as that user (for example: sudo -u '#${st.uid}' lifeboat …)`,
  );
}
