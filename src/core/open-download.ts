// Downloading a backup, the one way every front end does it: as stored (a remote copy streams
// straight through), or decrypted on the fly — with the password given, or with the key the
// keyring finds for it. A decrypted download needs the file on this machine (a remote copy is
// fetched into tmp first, checked, and removed when the download ends). Also Home Assistant's
// `backup/can_decrypt_on_download`.

import { createReadStream } from 'node:fs';
import { withBackupReader } from '../archive/backup-reader.js';
import { slugifyName } from '../archive/backup-json.js';
import { planReencode } from '../archive/reencode.js';
import { lockOf } from '../manager/backup-key.js';
import { BackupManagerError, DecryptOnDownloadNotSupported, IncorrectPasswordError } from '../util/errors.js';
import { onceAsync } from '../util/once.js';
import type { CoreParts } from './parts.js';
import type { RestoreBackup } from './restore-backup.js';

export interface DownloadRequest {
  backupId: string;
  agentId: string;
  /** Decrypt an encrypted backup on the way. */
  decrypt?: boolean;
  /** The password to decrypt with; without one, the keyring's key for the backup. */
  password?: string | null;
}

export interface OpenedDownload {
  /** A file name for the download: the backup's name as an ASCII slug, `.tar`. */
  fileName: string;
  size: number;
  /** The bytes; resources are released when it ends or stops early. */
  stream: AsyncIterable<Buffer>;
  /** Releases the resources when the stream is never read to its end (idempotent). */
  close(): Promise<void>;
}

function guarded(source: AsyncIterable<Buffer>, close: () => Promise<void>): AsyncIterable<Buffer> {
  return (async function* () {
    try {
      yield* source;
    } finally {
      await close();
    }
  })();
}

export class Downloads {
  constructor(
    private readonly parts: CoreParts,
    private readonly restore: RestoreBackup,
  ) {}

  async open(request: DownloadRequest): Promise<OpenedDownload> {
    const { manager, keyring } = this.parts;
    const agent = manager.requireAgent(request.agentId);
    const record = await agent.get(request.backupId);
    const fileName = `${slugifyName(record.name)}.tar`;
    const decrypt = request.decrypt === true && record.protected;
    if (!decrypt && !agent.capabilities.localPath) {
      // A remote copy as stored streams straight through.
      const body = await agent.download(request.backupId);
      const close = onceAsync(async () => undefined);
      return { fileName, size: record.size, stream: guarded(body, close), close };
    }
    if (!decrypt) {
      const source = await manager.backupFile(request.backupId, request.agentId);
      const close = onceAsync(() => source.cleanup());
      return { fileName, size: record.size, stream: guarded(createReadStream(source.file, { highWaterMark: 1 << 20 }), close), close };
    }
    const { reader, close } = await manager.openBackup(request.backupId, request.agentId);
    try {
      const password = (await keyring.keyFor(await lockOf(reader), request.password ?? null)) as string;
      const plan = await planReencode(reader, { protect: false, password });
      return { fileName, size: plan.size, stream: guarded(plan.open(), close), close };
    } catch (err) {
      await close();
      throw err;
    }
  }

  /**
   * Home Assistant's `backup/can_decrypt_on_download`: whether this password decrypts the copy as a
   * stream; without a password (null), whether a key of the keyring does — what a download with
   * `decrypt=1` uses, so the key never has to leave the server.
   */
  async canDecrypt(request: { backupId: string; agentId: string; password: string | null }): Promise<void> {
    if (!this.parts.manager.agent(request.agentId)) throw new BackupManagerError(`Invalid agent selected: ${request.agentId}`);
    await this.restore.requireOn(request.backupId, request.agentId);
    await this.parts.manager.withBackupFile(request.backupId, request.agentId, (file) =>
      withBackupReader(file, async (reader) => {
        if (!reader.backup.protected) return;
        const password = request.password ?? ((await this.parts.keyring.keyFor(await lockOf(reader))) as string);
        for (const inner of reader.innerArchives()) {
          const enc = await reader.encryption(inner);
          if (enc.kind === 'v1') throw new DecryptOnDownloadNotSupported('This backup uses SecureTar v1, which cannot be decrypted on download');
          await reader.checkSecret(inner, password).catch((err: unknown) => {
            throw err instanceof IncorrectPasswordError ? new IncorrectPasswordError() : err;
          });
        }
      }),
    );
  }
}
