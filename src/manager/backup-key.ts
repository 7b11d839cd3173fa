// A backup file as the keyring sees it: whether its Home Assistant archive (or another inner
// archive asked for) is encrypted, the fingerprint of the key the backup says it was made with, and
// the password check Home Assistant performs before a restore (no more is read than that).

import type { BackupReader, InnerArchive } from '../archive/backup-reader.js';
import { KEY_FINGERPRINT_EXTRA } from '../archive/backup-json.js';
import type { KeyLock } from '../settings/keyring.js';

/** The lock of the Home Assistant archive, or of `archive` (an add-on's, a folder's) when given. */
export async function lockOf(reader: BackupReader, archive?: InnerArchive): Promise<KeyLock> {
  const backup = reader.backup;
  const inner = archive ?? reader.homeAssistantArchive();
  const fingerprint = backup.extra_metadata[KEY_FINGERPRINT_EXTRA];
  return {
    protected: inner ? (await reader.encryption(inner)).kind !== 'none' : backup.protected,
    fingerprint: typeof fingerprint === 'string' ? fingerprint : null,
    tryKey: (key) => (archive ? reader.checkSecret(archive, key) : reader.validatePassword(key)),
  };
}
