// Lifeboat's layout for remote locations: each backup is two blobs, `<id>.tar` (the archive, stored
// as streamed) and `<id>.metadata.json` (its AgentBackup record and, when the location verifies its
// copies, the SHA-256 of the stored bytes), written in that order, so listing reads only the small
// records and never an archive, and an upload that did not finish is never listed. Records are
// cached by name and size between listings. A record is read within the size of backup.json's limit:
// a location (or whoever can write to it) cannot make Lifeboat read a huge one into memory.

import { z } from 'zod';
import { AgentBackupSchema } from '../archive/backup-json.js';
import { checkLimit, MAX_BACKUP_JSON_BYTES } from '../archive/archive-limits.js';
import { collect, take } from '../util/chunks.js';
import { BlobNotFound, type BlobStore } from './blob-store.js';
import type { BackupLayout, StoredCopy } from './backup-layout.js';

const ARCHIVE_SUFFIX = '.tar';
const RECORD_SUFFIX = '.metadata.json';

const RecordSchema = z.object({
  format: z.literal(1),
  backup: AgentBackupSchema,
  /** Null when the location does not verify its copies (no digest was taken). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
});

export class RecordLayout implements BackupLayout {
  private readonly cache = new Map<string, { size: number; copy: StoredCopy | null }>();

  private async read(store: BlobStore, backupId: string, signal?: AbortSignal): Promise<StoredCopy> {
    const name = `${backupId}${RECORD_SUFFIX}`;
    const raw = await collect(take(await store.get(name, { signal }), MAX_BACKUP_JSON_BYTES + 1));
    checkLimit(raw.length, MAX_BACKUP_JSON_BYTES, 'record size', `${store.where}/${name}`);
    const record = RecordSchema.parse(JSON.parse(raw.toString('utf8')));
    return { backup: record.backup, archive: `${record.backup.backup_id}${ARCHIVE_SUFFIX}`, sha256: record.sha256 };
  }

  async find(store: BlobStore, backupId: string, signal?: AbortSignal): Promise<StoredCopy | null> {
    try {
      return await this.read(store, backupId, signal);
    } catch (err) {
      if (err instanceof BlobNotFound) return null;
      throw err;
    }
  }

  async list(store: BlobStore, signal?: AbortSignal): Promise<StoredCopy[]> {
    const blobs = await store.list({ signal });
    const archives = new Map(blobs.filter((b) => b.name.endsWith(ARCHIVE_SUFFIX)).map((b) => [b.name, b.size]));
    const records = blobs.filter((b) => b.name.endsWith(RECORD_SUFFIX));
    const seen = new Set(records.map((r) => r.name));
    for (const name of [...this.cache.keys()]) if (!seen.has(name)) this.cache.delete(name);
    const out: StoredCopy[] = [];
    await Promise.all(
      records.map(async (record) => {
        let entry = this.cache.get(record.name);
        if (record.size > MAX_BACKUP_JSON_BYTES) entry = { size: record.size, copy: null }; // never read
        else if (!entry || entry.size !== record.size) {
          const copy = await this.read(store, record.name.slice(0, -RECORD_SUFFIX.length), signal).catch(() => null);
          entry = { size: record.size, copy };
          this.cache.set(record.name, entry);
        }
        // A record whose archive is missing or of another size is a leftover, not a backup.
        if (entry.copy && archives.get(entry.copy.archive) === entry.copy.backup.size) out.push(entry.copy);
      }),
    );
    return out;
  }

  async archiveName(_store: BlobStore, backup: { backup_id: string }): Promise<string> {
    return `${backup.backup_id}${ARCHIVE_SUFFIX}`;
  }

  async writeRecord(store: BlobStore, copy: StoredCopy, signal?: AbortSignal): Promise<void> {
    const body = Buffer.from(`${JSON.stringify({ format: 1, backup: copy.backup, sha256: copy.sha256 }, null, 2)}\n`, 'utf8');
    await store.put(`${copy.backup.backup_id}${RECORD_SUFFIX}`, (async function* () { yield body; })(), { size: body.length, signal });
  }

  async removeRecord(store: BlobStore, copy: StoredCopy, signal?: AbortSignal): Promise<void> {
    await store.remove(`${copy.backup.backup_id}${RECORD_SUFFIX}`, { signal });
  }
}
