// A BackupAgent over any BlobStore: each backup is two blobs, `<id>.tar` (the archive, stored as
// streamed) and `<id>.metadata.json` (its AgentBackup record and, when the location verifies its
// copies, the SHA-256 of the stored bytes), written in that order, so listing reads only the small
// records and never an archive, and an upload that did not finish is never listed. Delete removes
// the record first for the same reason. Without verification no digest is taken: a damaged copy
// is still caught when it is restored, by the archive's own checks (SecureTar v3's authentication
// of every message, the inner archive's recorded SHA-256, gzip's CRC-32), before anything is
// replaced.

import { z } from 'zod';
import { AgentBackupSchema, type AgentBackup } from '../archive/backup-json.js';
import { BackupNotFound, BackupReaderWriterError } from '../archive/errors.js';
import { collect } from '../util/chunks.js';
import { isValidBackupId, type BackupAgent, type OpenStream, type UploadOptions } from './agent.js';
import { toAgentError } from './agent-errors.js';
import { BackgroundSha256 } from './background-sha256.js';
import { BlobNotFound, STALE_TEMP_MS, type BlobStore, type ProbeReport } from './blob-store.js';

const ARCHIVE_SUFFIX = '.tar';
const METADATA_SUFFIX = '.metadata.json';

const MetadataSchema = z.object({
  format: z.literal(1),
  backup: AgentBackupSchema,
  /** Null when the location does not verify its copies (no digest was taken). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
});
export type StoredMetadata = z.infer<typeof MetadataSchema>;

export interface StoredAgentIdentity {
  domain: string;
  uniqueId: string;
  name: string;
}

export class StoredBackupAgent implements BackupAgent {
  readonly domain: string;
  readonly uniqueId: string;
  readonly agentId: string;
  readonly name: string;
  private readonly cache = new Map<string, { size: number; meta: StoredMetadata | null }>();

  constructor(
    identity: StoredAgentIdentity,
    readonly store: BlobStore,
    /** Whether each upload's SHA-256 is taken and recorded (a verifying location needs it). */
    private readonly recordDigest = true,
  ) {
    this.domain = identity.domain;
    this.uniqueId = identity.uniqueId;
    this.agentId = `${identity.domain}.${identity.uniqueId}`;
    this.name = identity.name;
  }

  private checkId(backupId: string): void {
    if (!isValidBackupId(backupId)) throw new BackupNotFound(`Backup ${backupId} not found in agent ${this.agentId}`);
  }

  private notFound(backupId: string): BackupNotFound {
    return new BackupNotFound(`Backup ${backupId} not found in agent ${this.agentId}`);
  }

  private async guard<T>(doing: string, fn: () => Promise<T>, backupId?: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BlobNotFound && backupId !== undefined) throw this.notFound(backupId);
      throw toAgentError(err, this.agentId, doing);
    }
  }

  private cleaned = false;

  async upload(backup: AgentBackup, open: OpenStream, opts: UploadOptions = {}): Promise<void> {
    this.checkId(backup.backup_id);
    if (!this.cleaned && this.store.removeStale) {
      this.cleaned = true;
      await this.store.removeStale(STALE_TEMP_MS).catch(() => undefined);
    }
    // Each attempt (the stream may be opened more than once) hashes what it sends, on a worker
    // thread, unless the caller can give the digest or none is recorded.
    const known = this.recordDigest ? opts.sha256?.() : undefined;
    const hashing = this.recordDigest && !known;
    let hash = new BackgroundSha256();
    let count = 0;
    const reuse = this.store.consumesChunksAtOnce === true;
    async function* counted(): AsyncGenerator<Buffer> {
      await hash.dispose();
      hash = new BackgroundSha256();
      count = 0;
      for await (const chunk of open({ reuseChunks: reuse })) {
        count += chunk.length;
        if (hashing) await hash.update(chunk);
        yield chunk;
      }
    }
    const id = backup.backup_id;
    try {
      await this.guard('uploading the backup', () =>
        this.store.put(`${id}${ARCHIVE_SUFFIX}`, counted(), { size: backup.size, signal: opts.signal, onProgress: opts.onProgress }),
      );
    } catch (err) {
      await hash.dispose();
      throw err;
    }
    if (count !== backup.size) {
      await this.store.remove(`${id}${ARCHIVE_SUFFIX}`).catch(() => undefined);
      throw new BackupReaderWriterError(`The backup stream for ${this.agentId} gave ${count} bytes, expected ${backup.size}`);
    }
    const meta: StoredMetadata = { format: 1, backup, sha256: known ? await known : hashing ? await hash.digest() : null };
    if (!hashing) await hash.dispose();
    const body = Buffer.from(`${JSON.stringify(meta, null, 2)}\n`, 'utf8');
    await this.guard('writing the backup record', () =>
      this.store.put(`${id}${METADATA_SUFFIX}`, (async function* () { yield body; })(), { size: body.length, signal: opts.signal }),
    );
  }

  /** The stored record and the SHA-256 of the stored archive; throws BackupNotFound. */
  async metadata(backupId: string, opts: { signal?: AbortSignal } = {}): Promise<StoredMetadata> {
    this.checkId(backupId);
    return this.guard(
      'reading the backup record',
      async () => {
        const raw = await collect(await this.store.get(`${backupId}${METADATA_SUFFIX}`, opts));
        return MetadataSchema.parse(JSON.parse(raw.toString('utf8')));
      },
      backupId,
    );
  }

  async get(backupId: string, opts: { signal?: AbortSignal } = {}): Promise<AgentBackup> {
    return (await this.metadata(backupId, opts)).backup;
  }

  async list(opts: { signal?: AbortSignal } = {}): Promise<AgentBackup[]> {
    const blobs = await this.guard('listing backups', () => this.store.list(opts));
    const archives = new Map(blobs.filter((b) => b.name.endsWith(ARCHIVE_SUFFIX)).map((b) => [b.name.slice(0, -ARCHIVE_SUFFIX.length), b.size]));
    const records = blobs.filter((b) => b.name.endsWith(METADATA_SUFFIX));
    const seen = new Set(records.map((r) => r.name));
    for (const name of [...this.cache.keys()]) if (!seen.has(name)) this.cache.delete(name);
    const out: AgentBackup[] = [];
    await Promise.all(
      records.map(async (record) => {
        const id = record.name.slice(0, -METADATA_SUFFIX.length);
        let entry = this.cache.get(record.name);
        if (!entry || entry.size !== record.size) {
          const meta = await this.metadata(id, opts).catch(() => null);
          entry = { size: record.size, meta };
          this.cache.set(record.name, entry);
        }
        // A record whose archive is missing or of another size is a leftover, not a backup.
        if (entry.meta && archives.get(id) === entry.meta.backup.size) out.push(entry.meta.backup);
      }),
    );
    return out.sort((a, b) => (a.date < b.date ? 1 : -1));
  }

  async download(backupId: string, opts: { signal?: AbortSignal } = {}): Promise<AsyncIterable<Buffer>> {
    this.checkId(backupId);
    return this.guard('downloading the backup', () => this.store.get(`${backupId}${ARCHIVE_SUFFIX}`, opts), backupId);
  }

  async delete(backupId: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.checkId(backupId);
    await this.guard('deleting the backup record', () => this.store.remove(`${backupId}${METADATA_SUFFIX}`, opts), backupId);
    await this.guard('deleting the backup', () =>
      this.store.remove(`${backupId}${ARCHIVE_SUFFIX}`, opts).catch((err: unknown) => {
        if (!(err instanceof BlobNotFound)) throw err;
      }),
    );
  }

  probe(): Promise<ProbeReport> {
    return this.store.probe();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
