// Verifying a stored backup end to end (digests, decryption, decompression, entries a restore
// would refuse), from any location, with the password given or the key the keyring finds for it,
// so a backup made before `key rotate` verifies without being given its key.

import { withBackupReader } from '../archive/backup-reader.js';
import { verifyBackup, type VerifyReport } from '../archive/verify.js';
import { lockOf } from '../manager/backup-key.js';
import type { CoreParts } from './parts.js';

export interface VerifyRequest {
  backupId: string;
  agentId?: string;
  password?: string | null;
}

export class VerifyBackup {
  constructor(private readonly parts: CoreParts) {}

  async run(request: VerifyRequest): Promise<VerifyReport> {
    const { manager, keyring } = this.parts;
    return manager.withBackupFile(request.backupId, request.agentId, (file) =>
      withBackupReader(file, async (reader) => {
        let secret = request.password ?? null;
        // No key that fits (or no readable backup.json): verification reports what it cannot read.
        if (secret === null) secret = await lockOf(reader).then((lock) => keyring.keyFor(lock)).catch(() => null);
        return verifyBackup(reader, secret);
      }),
    );
  }
}
