// Home Assistant's layout on a remote location, so that Home Assistant's own storage integration
// and Lifeboat can share a bucket or folder and each see the other's backups: every archive is
// `S.tar` (Home Assistant's suggested file name) with a record beside it in the shape of the
// integration for that kind (ha-records.ts). Listing reads only the records, each kept while the
// listing shows it unchanged (size, modification time, entity tag) and this process has not written
// it, and counts a record only when its archive is there with the recorded size, so an upload that
// did not finish is never listed. A record that could not be read is left out of that listing only.
// Backup files without a record (a Supervisor share holds only those) are read from their own
// backup.json where the store is on this machine. Records of Lifeboat's first layout are still
// read, and moved to this one when found (layout-migration.ts).

import { checkLimit, MAX_BACKUP_JSON_BYTES } from '../archive/archive-limits.js';
import type { AgentBackup } from '../archive/backup-json.js';
import { collect, take } from '../util/chunks.js';
import type { Logger } from '../util/logger.js';
import type { ArchiveLayout } from './archive-layout.js';
import type { BackupLayout, StoredCopy } from './backup-layout.js';
import { BlobNotFound, blobVersion, type BlobInfo, type BlobStore } from './blob-store.js';
import { ARCHIVE_SUFFIX, encodeRecord, haArchiveName, parseRecord, RECORD_SUFFIX, recordName, type ParsedRecord, type RecordStyle } from './ha-records.js';
import { migrateLegacyCopy, type FoundCopy } from './layout-migration.js';

export interface HaLayoutOptions {
  style: RecordStyle;
  /** Reads backup files that have no record (a folder on this machine, laid out as a Supervisor share). */
  unrecorded?: ArchiveLayout;
  log?: Logger;
}

/** Whether two backups with one id are the same backup: same name and date, made by the same installation. */
function sameBackup(a: AgentBackup, b: AgentBackup): boolean {
  return a.backup_id === b.backup_id && a.name === b.name && a.date === b.date && a.extra_metadata.instance_id === b.extra_metadata.instance_id;
}

/** What one scan finds. */
interface Scan {
  /** Every record whose archive is there, in name order. */
  found: FoundCopy[];
  /** Legacy records without their archive. */
  orphans: string[];
  /** Records in this layout none of whose archives is there (a delete that stopped after the archive). */
  stranded: StoredCopy[];
  /** Why a record could not be read, when one could not: a backup may be missing from `found`. */
  unread: Error | null;
}

/** What reading a record gave: the record, or null when it is none; `lasting` when it may be kept. */
interface ReadOutcome {
  record: ParsedRecord | null;
  lasting: boolean;
}

export class HaLayout implements BackupLayout {
  private readonly cache = new Map<string, { version: string; record: ParsedRecord | null }>();
  /** Counts this process's writes and removals of records: a read that overlapped one is not kept. */
  private writes = 0;
  /** The records this process wrote: its copy of a backup wins over another installation's with the same id. */
  private readonly written = new Set<string>();
  private migrating: Promise<void> | null = null;

  constructor(private readonly opts: HaLayoutOptions) {}

  /**
   * Reads a listed record. What it holds is kept only when the bytes read are the bytes listed; a
   * record beyond the limit is never read, and one that does not parse is not a backup. Throws
   * when it could not be read.
   */
  private async readRecord(store: BlobStore, blob: BlobInfo, signal?: AbortSignal): Promise<ReadOutcome> {
    if (blob.size > MAX_BACKUP_JSON_BYTES) return { record: null, lasting: true };
    const raw = await collect(take(await store.get(blob.name, { signal }), MAX_BACKUP_JSON_BYTES + 1));
    const lasting = raw.length === blob.size;
    try {
      checkLimit(raw.length, MAX_BACKUP_JSON_BYTES, 'record size', `${store.where}/${blob.name}`);
      return { record: parseRecord(raw.toString('utf8')), lasting };
    } catch (err) {
      this.opts.log?.warn(`Skipping ${blob.name} on ${store.where}: not a backup record (${(err as Error).message})`);
      return { record: null, lasting };
    }
  }

  /**
   * Each listed record's content, read where the cache does not hold the version listed. One that
   * could not be read is left out, and the reason given; one removed meanwhile is simply gone.
   */
  private async readAll(store: BlobStore, listed: BlobInfo[], writes: number, signal?: AbortSignal): Promise<{ records: Map<string, ParsedRecord | null>; unread: Error | null }> {
    const records = new Map<string, ParsedRecord | null>();
    let unread: Error | null = null;
    await Promise.all(
      listed.map(async (blob) => {
        const version = blobVersion(blob);
        const cached = this.cache.get(blob.name);
        if (cached?.version === version) {
          records.set(blob.name, cached.record);
          return;
        }
        this.cache.delete(blob.name);
        try {
          const { record, lasting } = await this.readRecord(store, blob, signal);
          records.set(blob.name, record);
          if (lasting && this.writes === writes) this.cache.set(blob.name, { version, record });
        } catch (err) {
          signal?.throwIfAborted();
          if (err instanceof BlobNotFound) return;
          unread = err as Error;
          this.opts.log?.warn(`Could not read ${blob.name} on ${store.where}, left out of this listing: ${unread.message}`);
        }
      }),
    );
    return { records, unread };
  }

  private async scan(store: BlobStore, signal?: AbortSignal): Promise<Scan> {
    const writes = this.writes;
    const blobs = await store.list({ signal, hidden: true });
    const archives = new Map(blobs.filter((b) => b.name.endsWith(ARCHIVE_SUFFIX) && !b.name.startsWith('.')).map((b) => [b.name, b.size]));
    const listed = blobs.filter((b) => b.name.endsWith(RECORD_SUFFIX)).sort((a, b) => (a.name < b.name ? -1 : 1));
    const seen = new Set(listed.map((r) => r.name));
    for (const name of [...this.cache.keys()]) if (!seen.has(name)) this.cache.delete(name);
    const { records, unread } = await this.readAll(store, listed, writes, signal);
    const scan: Scan = { found: [], orphans: [], stranded: [], unread };
    for (const r of listed) {
      const parsed = records.get(r.name);
      if (!parsed) continue;
      // A legacy copy whose move was interrupted may already have its new name; an archive named
      // like its record comes first (two backups of one name and date keep apart that way).
      const beside = r.name.startsWith('.') ? [] : [`${r.name.slice(0, -RECORD_SUFFIX.length)}${ARCHIVE_SUFFIX}`];
      const candidates = parsed.legacy ? [parsed.archive, haArchiveName(parsed.backup)] : [...beside, parsed.archive];
      const archive = candidates.find((a) => archives.get(a) === parsed.backup.size);
      const copy = { backup: parsed.backup, archive: archive ?? (candidates[0] as string), sha256: parsed.sha256, record: r.name };
      if (archive) scan.found.push({ copy, legacy: parsed.legacy, archives });
      else if (parsed.legacy) scan.orphans.push(r.name);
      else if (!candidates.some((a) => archives.has(a))) scan.stranded.push(copy);
    }
    return scan;
  }

  /** Every backup, and why a record could not be read when one could not. */
  private async listing(store: BlobStore, signal?: AbortSignal): Promise<{ copies: StoredCopy[]; unread: Error | null }> {
    let scan = await this.scan(store, signal);
    if (scan.found.some((f) => f.legacy) || scan.orphans.length) {
      const { found, orphans } = scan;
      // One move at a time: listings that overlap wait for it instead of repeating it.
      this.migrating ??= this.migrate(store, found, orphans, signal).finally(() => (this.migrating = null));
      await this.migrating;
      scan = await this.scan(store, signal);
    }
    // One copy per backup id: a record in this layout over a legacy one, and one this process wrote
    // over another installation's backup with the same id.
    const rank = (f: FoundCopy) => (f.legacy ? 0 : 1) + (this.written.has(f.copy.record as string) ? 2 : 0);
    const byId = new Map<string, FoundCopy>();
    for (const f of scan.found) {
      const previous = byId.get(f.copy.backup.backup_id);
      if (!previous || rank(f) > rank(previous)) byId.set(f.copy.backup.backup_id, f);
    }
    const copies = [...byId.values()].map((f) => f.copy);
    if (!this.opts.unrecorded) return { copies, unread: scan.unread };
    const claimed = new Set(scan.found.map((f) => f.copy.archive));
    const bare = await this.opts.unrecorded.list(store, signal, (name) => !claimed.has(name));
    return { copies: [...copies, ...bare.filter((c) => !byId.has(c.backup.backup_id))], unread: scan.unread };
  }

  async list(store: BlobStore, signal?: AbortSignal): Promise<StoredCopy[]> {
    return (await this.listing(store, signal)).copies;
  }

  /** Moves legacy copies to this layout; a failure leaves the copy readable where it is. */
  private async migrate(store: BlobStore, found: FoundCopy[], orphans: string[], signal?: AbortSignal): Promise<void> {
    for (const name of orphans) await this.changing(name, () => store.remove(name, { signal })).catch(() => undefined);
    for (const f of found.filter((x) => x.legacy)) {
      try {
        await migrateLegacyCopy(store, f, (copy) => this.putRecord(store, copy, signal), signal);
        this.opts.log?.info(`Moved backup ${f.copy.backup.backup_id} to Home Assistant's layout on ${store.where}`);
      } catch (err) {
        this.opts.log?.warn(`Could not move backup ${f.copy.backup.backup_id} to Home Assistant's layout on ${store.where}: ${(err as Error).message}`);
      }
    }
  }

  /** One backup by id; throws rather than say there is none when a record could not be read. */
  async find(store: BlobStore, backupId: string, signal?: AbortSignal): Promise<StoredCopy | null> {
    const { copies, unread } = await this.listing(store, signal);
    const copy = copies.find((c) => c.backup.backup_id === backupId);
    if (copy) return copy;
    if (unread) throw unread;
    return null;
  }

  async strandedRecords(store: BlobStore, backupId: string, signal?: AbortSignal): Promise<StoredCopy[]> {
    return (await this.scan(store, signal)).stranded.filter((c) => c.backup.backup_id === backupId);
  }

  /**
   * Home Assistant's name for the backup's archive — unless another backup's archive already has
   * it (same name, same date to the microsecond, another id or installation): then one that keeps
   * both, with the id added.
   */
  async archiveName(store: BlobStore, backup: AgentBackup, signal?: AbortSignal): Promise<string> {
    const name = haArchiveName(backup);
    const { found } = await this.scan(store, signal);
    const taken = found.some((f) => f.copy.archive === name && !sameBackup(f.copy.backup, backup));
    return taken ? `${name.slice(0, -ARCHIVE_SUFFIX.length)}_${backup.backup_id}${ARCHIVE_SUFFIX}` : name;
  }

  private async putRecord(store: BlobStore, copy: StoredCopy, signal?: AbortSignal): Promise<string> {
    const name = recordName(this.opts.style, copy.backup, copy.archive);
    // sftp_storage records the archive's absolute path on the server.
    const path = this.opts.style === 'sftp' && store.remotePath ? await store.remotePath(copy.archive) : copy.archive;
    const body = encodeRecord(this.opts.style, copy.backup, copy.sha256, path);
    await this.changing(name, () => store.put(name, (async function* () { yield body; })(), { size: body.length, signal }));
    this.written.add(name);
    return name;
  }

  /** Writes or removes a record of this process: what the cache holds of it, and reads under way, no longer count. */
  private async changing(name: string, change: () => Promise<void>): Promise<void> {
    try {
      await change();
    } finally {
      this.writes++;
      this.cache.delete(name);
    }
  }

  /**
   * Writes the record; another copy of the same backup (under another archive name, or a legacy
   * one) then goes. A copy of another backup with the same id — another installation's, on a
   * shared location — stays.
   */
  async writeRecord(store: BlobStore, copy: StoredCopy, signal?: AbortSignal): Promise<void> {
    const written = await this.putRecord(store, copy, signal);
    const { found } = await this.scan(store, signal);
    for (const old of found.filter((f) => sameBackup(f.copy.backup, copy.backup) && f.copy.record !== written)) {
      await this.removeRecord(store, old.copy, signal);
      if (old.copy.archive !== copy.archive) await store.remove(old.copy.archive, { signal }).catch(() => undefined);
    }
  }

  async removeRecord(store: BlobStore, copy: StoredCopy, signal?: AbortSignal): Promise<void> {
    const name = copy.record ?? recordName(this.opts.style, copy.backup, copy.archive);
    await this.changing(name, () =>
      store.remove(name, { signal }).catch((err: unknown) => {
        if (!(err instanceof BlobNotFound)) throw err;
      }),
    );
    this.written.delete(name);
  }
}
