// A BackupAgent over any BlobStore and a layout (how backups map to blobs): the archive is stored
// as streamed — under a temp name until complete — then its record, if the layout keeps one, so an
// upload that did not finish is never listed. Delete removes the archive first, then the record: a
// record without its archive is never listed, and a delete tried again removes it.
// When the location verifies its copies, the SHA-256 of what was stored is taken (on a worker
// thread, or given by the caller) and recorded; without verification none is taken, and a damaged
// copy is still caught when it is restored, by the archive's own checks (SecureTar v3's
// authentication of every message, the inner archive's recorded SHA-256, gzip's CRC-32), before
// anything is replaced. A store on this machine also gives its files in place.

import type { AgentBackup } from '../archive/backup-json.js';
import { BackupNotFound, BackupReaderWriterError } from '../util/errors.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { fileSha256 } from '../util/file-sha256.js';
import { isValidBackupId, type AgentCapabilities, type BackupAgent, type OpenStream, type PendingBackupFile, type UploadOptions } from './agent.js';
import { toAgentError } from './agent-errors.js';
import { BackgroundSha256 } from './background-sha256.js';
import type { BackupLayout, StoredCopy } from './backup-layout.js';
import { BlobNotFound, type BlobStore, type ProbeReport } from './blob-store.js';

export interface StoredAgentIdentity {
  domain: string;
  uniqueId: string;
  name: string;
}

export interface StoredAgentOptions {
  layout: BackupLayout;
  /** Whether each upload's SHA-256 is taken and recorded (a verifying location needs it). */
  recordDigest: boolean;
  clock?: Clock;
  log?: Logger;
}

export class StoredBackupAgent implements BackupAgent {
  readonly domain: string;
  readonly uniqueId: string;
  readonly agentId: string;
  readonly name: string;
  readonly capabilities: AgentCapabilities;
  private readonly layout: BackupLayout;
  private readonly clock: Clock;
  private tidied = false;

  constructor(
    identity: StoredAgentIdentity,
    readonly store: BlobStore,
    private readonly opts: StoredAgentOptions,
  ) {
    this.domain = identity.domain;
    this.uniqueId = identity.uniqueId;
    this.agentId = `${identity.domain}.${identity.uniqueId}`;
    this.name = identity.name;
    this.layout = opts.layout;
    this.clock = opts.clock ?? systemClock;
    this.capabilities = {
      recordedDigest: async (backupId, o) => (await this.copy(backupId, o?.signal)).sha256,
      ...(store.local
        ? {
            localPath: async (backupId: string) => (store.local as NonNullable<BlobStore['local']>).path((await this.copy(backupId)).archive),
            reserve: () => this.reserve(),
          }
        : {}),
    };
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

  /** The stored copy of a backup; throws BackupNotFound. */
  private async copy(backupId: string, signal?: AbortSignal): Promise<StoredCopy> {
    if (!isValidBackupId(backupId)) throw this.notFound(backupId);
    const found = await this.guard('reading the backup record', () => this.layout.find(this.store, backupId, signal), backupId);
    if (!found) throw this.notFound(backupId);
    return found;
  }

  /** Removes what uploads that died left behind (once per agent; also before its first upload). */
  async tidy(): Promise<void> {
    if (this.tidied) return;
    this.tidied = true;
    const removed = (await this.store.removeAbandoned?.(this.clock.now().epochMs).catch(() => [])) ?? [];
    for (const name of removed) this.opts.log?.warn(`Removed an unfinished backup file left by an interrupted run: ${name}`, { location: this.agentId });
  }

  private async reserve(): Promise<PendingBackupFile> {
    const local = this.store.local as NonNullable<BlobStore['local']>;
    const reserved = await local.reserve();
    return {
      tempPath: reserved.tempPath,
      commit: async (backup) => {
        const archive = await this.layout.archiveName(this.store, backup);
        const path = await reserved.commit(archive);
        const sha256 = this.opts.recordDigest ? await fileSha256(path) : null;
        await this.layout.writeRecord?.(this.store, { backup, archive, sha256 });
        return path;
      },
      abort: () => reserved.abort(),
    };
  }

  async upload(backup: AgentBackup, open: OpenStream, opts: UploadOptions = {}): Promise<void> {
    if (!isValidBackupId(backup.backup_id)) throw this.notFound(backup.backup_id);
    await this.tidy();
    // Each attempt (the stream may be opened more than once) hashes what it sends, on a worker
    // thread, unless the caller can give the digest or none is recorded.
    const known = this.opts.recordDigest ? opts.sha256?.() : undefined;
    const hashing = this.opts.recordDigest && !known;
    let hash = new BackgroundSha256();
    let count = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      await hash.dispose();
      hash = new BackgroundSha256();
      count = 0;
      for await (const chunk of open()) {
        count += chunk.length;
        if (hashing) await hash.update(chunk);
        yield chunk;
      }
    }
    const archive = await this.guard('naming the backup', () => this.layout.archiveName(this.store, backup, opts.signal));
    try {
      await this.guard('uploading the backup', () =>
        this.store.put(archive, counted(), { size: backup.size, signal: opts.signal, onProgress: opts.onProgress }),
      );
    } catch (err) {
      await hash.dispose();
      throw err;
    }
    if (count !== backup.size) {
      await this.store.remove(archive).catch(() => undefined);
      throw new BackupReaderWriterError(`The backup stream for ${this.agentId} gave ${count} bytes, expected ${backup.size}`);
    }
    const sha256 = known ? await known : hashing ? await hash.digest() : null;
    if (!hashing) await hash.dispose();
    const write = this.layout.writeRecord;
    if (write) await this.guard('writing the backup record', () => write.call(this.layout, this.store, { backup, archive, sha256 }, opts.signal));
  }

  async get(backupId: string, opts: { signal?: AbortSignal } = {}): Promise<AgentBackup> {
    return (await this.copy(backupId, opts.signal)).backup;
  }

  async list(opts: { signal?: AbortSignal } = {}): Promise<AgentBackup[]> {
    const copies = await this.guard('listing backups', () => this.layout.list(this.store, opts.signal));
    return copies.map((c) => c.backup).sort((a, b) => (a.date < b.date ? 1 : -1));
  }

  async download(backupId: string, opts: { signal?: AbortSignal } = {}): Promise<AsyncIterable<Buffer>> {
    const { archive } = await this.copy(backupId, opts.signal);
    return this.guard('downloading the backup', () => this.store.get(archive, opts), backupId);
  }

  async delete(backupId: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    let copy: StoredCopy;
    try {
      copy = await this.copy(backupId, opts.signal);
    } catch (err) {
      if (err instanceof BackupNotFound) return this.forgetStranded(backupId, err, opts.signal);
      throw err;
    }
    const forget = this.layout.removeRecord;
    await this.guard('deleting the backup', () =>
      this.store.remove(copy.archive, opts).catch((err: unknown) => {
        if (!(err instanceof BlobNotFound) || !forget) throw err;
      }),
      backupId,
    );
    if (forget) await this.guard('deleting the backup record', () => forget.call(this.layout, this.store, copy, opts.signal), backupId);
  }

  /** Removes the records a delete that stopped after the archive left; throws `notFound` when there are none. */
  private async forgetStranded(backupId: string, notFound: BackupNotFound, signal?: AbortSignal): Promise<void> {
    const { strandedRecords, removeRecord } = this.layout;
    if (!strandedRecords || !removeRecord) throw notFound;
    const records = await this.guard('reading the backup record', () => strandedRecords.call(this.layout, this.store, backupId, signal), backupId);
    if (!records.length) throw notFound;
    for (const copy of records) await this.guard('deleting the backup record', () => removeRecord.call(this.layout, this.store, copy, signal), backupId);
  }

  probe(): Promise<ProbeReport> {
    return this.store.probe();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
