// Home Assistant's layout of its local backup folder: backup files only, each named after the
// backup (`<name>_<date>.tar`, the name Home Assistant suggests), with no record beside it — a
// listing reads each file's backup.json (what it holds, or that it holds no backup, kept per file
// while its size and modification time stay; a file that could not be read is read again next
// time), so backups that Home Assistant or a user put there appear, and deleted ones go. Needs a
// store whose files are on this machine.

import { withBackupReader } from '../archive/backup-reader.js';
import { suggestedFileName, type AgentBackup } from '../archive/backup-json.js';
import { BackupReaderWriterError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { BackupLayout, StoredCopy } from './backup-layout.js';
import { blobVersion, type BlobInfo, type BlobStore, type LocalBlobs } from './blob-store.js';

interface CacheEntry {
  key: string;
  backup: AgentBackup | null;
}

function localBlobs(store: BlobStore): LocalBlobs {
  if (!store.local) throw new Error(`${store.where}: backup files without records can only be read from a folder on this machine`);
  return store.local;
}

export class ArchiveLayout implements BackupLayout {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly log?: Logger) {}

  /** The file's backup, or null when it holds none; a file that could not be read is not remembered. */
  private async backupOf(store: BlobStore, blob: BlobInfo): Promise<AgentBackup | null> {
    const key = blobVersion(blob);
    const cached = this.cache.get(blob.name);
    if (cached?.key === key) return cached.backup;
    this.cache.delete(blob.name);
    try {
      const backup = await withBackupReader(localBlobs(store).path(blob.name), async (r) => r.backup);
      this.cache.set(blob.name, { key, backup });
      return backup;
    } catch (err) {
      this.log?.warn(`Skipping unreadable backup file ${blob.name}: ${(err as Error).message}`);
      // The archive's own verdict holds while the file stays; a failure to read it may pass.
      if (err instanceof BackupReaderWriterError) this.cache.set(blob.name, { key, backup: null });
      return null;
    }
  }

  /** Every backup file's backup; `only` limits which files are read (those without a record, say). */
  async list(store: BlobStore, _signal?: AbortSignal, only: (name: string) => boolean = () => true): Promise<StoredCopy[]> {
    const blobs = (await store.list()).filter((b) => b.name.endsWith('.tar') && only(b.name));
    const seen = new Set(blobs.map((b) => b.name));
    for (const name of [...this.cache.keys()]) if (!seen.has(name)) this.cache.delete(name);
    // The same backup in two files (a copy made by hand): the newer file counts.
    const byId = new Map<string, { copy: StoredCopy; mtime: number }>();
    await Promise.all(
      blobs.map(async (blob) => {
        const backup = await this.backupOf(store, blob);
        if (!backup) return;
        const mtime = blob.mtimeMs ?? 0;
        const previous = byId.get(backup.backup_id);
        if (!previous || mtime >= previous.mtime) byId.set(backup.backup_id, { copy: { backup, archive: blob.name, sha256: null }, mtime });
      }),
    );
    return [...byId.values()].map((v) => v.copy);
  }

  async find(store: BlobStore, backupId: string): Promise<StoredCopy | null> {
    return (await this.list(store)).find((c) => c.backup.backup_id === backupId) ?? null;
  }

  /**
   * The file of the same backup when there is one (a backup stored again replaces it), else Home
   * Assistant's suggested name, with `_1`, `_2`, … when a file of that name exists.
   */
  async archiveName(store: BlobStore, backup: AgentBackup): Promise<string> {
    const existing = await this.find(store, backup.backup_id);
    if (existing) return existing.archive;
    const taken = new Set((await store.list()).map((b) => b.name));
    const fileName = suggestedFileName(backup.name, backup.date);
    const base = fileName.replace(/\.tar$/, '');
    for (let i = 0; ; i++) {
      const candidate = i === 0 ? fileName : `${base}_${i}.tar`;
      if (!taken.has(candidate)) return candidate;
    }
  }
}
