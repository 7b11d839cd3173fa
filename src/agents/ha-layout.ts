// Home Assistant's layout on a remote location, so that Home Assistant's own storage integration
// and Lifeboat can share a bucket or folder and each see the other's backups: every archive is
// `S.tar` (Home Assistant's suggested file name) with a record beside it in the shape of the
// integration for that kind (ha-records.ts). Listing reads only the records, cached by name and
// size, and counts a record only when its archive is there with the recorded size, so an upload
// that did not finish is never listed. Backup files without a record (a Supervisor share holds
// only those) are read from their own backup.json where the store is on this machine. Records of
// Lifeboat's first layout are still read, and moved to this one when found (layout-migration.ts).

import { checkLimit, MAX_BACKUP_JSON_BYTES } from '../archive/archive-limits.js';
import type { AgentBackup } from '../archive/backup-json.js';
import { collect, take } from '../util/chunks.js';
import type { Logger } from '../util/logger.js';
import type { ArchiveLayout } from './archive-layout.js';
import type { BackupLayout, StoredCopy } from './backup-layout.js';
import { BlobNotFound, type BlobStore } from './blob-store.js';
import { ARCHIVE_SUFFIX, encodeRecord, haArchiveName, parseRecord, RECORD_SUFFIX, recordName, type ParsedRecord, type RecordStyle } from './ha-records.js';
import { migrateLegacyCopy, type FoundCopy } from './layout-migration.js';

export interface HaLayoutOptions {
  style: RecordStyle;
  /** Reads backup files that have no record (a folder on this machine, laid out as a Supervisor share). */
  unrecorded?: ArchiveLayout;
  log?: Logger;
}

export class HaLayout implements BackupLayout {
  private readonly cache = new Map<string, { size: number; record: ParsedRecord | null }>();
  private migrating: Promise<void> | null = null;

  constructor(private readonly opts: HaLayoutOptions) {}

  private async readRecord(store: BlobStore, name: string, signal?: AbortSignal): Promise<ParsedRecord> {
    const raw = await collect(take(await store.get(name, { signal }), MAX_BACKUP_JSON_BYTES + 1));
    checkLimit(raw.length, MAX_BACKUP_JSON_BYTES, 'record size', `${store.where}/${name}`);
    return parseRecord(raw.toString('utf8'));
  }

  /** Every record whose archive is there, in name order, and the legacy records without one. */
  private async scan(store: BlobStore, signal?: AbortSignal): Promise<{ found: FoundCopy[]; orphans: string[] }> {
    const blobs = await store.list({ signal, hidden: true });
    const archives = new Map(blobs.filter((b) => b.name.endsWith(ARCHIVE_SUFFIX) && !b.name.startsWith('.')).map((b) => [b.name, b.size]));
    const records = blobs.filter((b) => b.name.endsWith(RECORD_SUFFIX)).sort((a, b) => (a.name < b.name ? -1 : 1));
    const seen = new Set(records.map((r) => r.name));
    for (const name of [...this.cache.keys()]) if (!seen.has(name)) this.cache.delete(name);
    await Promise.all(
      records.map(async (r) => {
        const cached = this.cache.get(r.name);
        if (cached && cached.size === r.size) return;
        // A record beyond the limit is never read; one that does not parse is not a backup.
        const record =
          r.size > MAX_BACKUP_JSON_BYTES
            ? null
            : await this.readRecord(store, r.name, signal).catch((err: unknown) => {
                this.opts.log?.warn(`Skipping ${r.name} on ${store.where}: not a backup record (${(err as Error).message})`);
                return null;
              });
        this.cache.set(r.name, { size: r.size, record });
      }),
    );
    const found: FoundCopy[] = [];
    const orphans: string[] = [];
    for (const r of records) {
      const parsed = this.cache.get(r.name)?.record;
      if (!parsed) continue;
      // A legacy copy whose move was interrupted may already have its new name; an archive named
      // like its record comes first (two backups of one name and date keep apart that way).
      const beside = r.name.startsWith('.') ? [] : [`${r.name.slice(0, -RECORD_SUFFIX.length)}${ARCHIVE_SUFFIX}`];
      const candidates = parsed.legacy ? [parsed.archive, haArchiveName(parsed.backup)] : [...beside, parsed.archive];
      const archive = candidates.find((a) => archives.get(a) === parsed.backup.size);
      if (archive) found.push({ copy: { backup: parsed.backup, archive, sha256: parsed.sha256, record: r.name }, legacy: parsed.legacy, archives });
      else if (parsed.legacy) orphans.push(r.name);
    }
    return { found, orphans };
  }

  async list(store: BlobStore, signal?: AbortSignal): Promise<StoredCopy[]> {
    let { found, orphans } = await this.scan(store, signal);
    if (found.some((f) => f.legacy) || orphans.length) {
      // One move at a time: listings that overlap wait for it instead of repeating it.
      this.migrating ??= this.migrate(store, found, orphans, signal).finally(() => (this.migrating = null));
      await this.migrating;
      ({ found } = await this.scan(store, signal));
    }
    // One copy per backup: a record in this layout over a legacy one.
    const byId = new Map<string, FoundCopy>();
    for (const f of found) {
      const previous = byId.get(f.copy.backup.backup_id);
      if (!previous || (previous.legacy && !f.legacy)) byId.set(f.copy.backup.backup_id, f);
    }
    const copies = [...byId.values()].map((f) => f.copy);
    if (!this.opts.unrecorded) return copies;
    const claimed = new Set(found.map((f) => f.copy.archive));
    const bare = await this.opts.unrecorded.list(store, signal, (name) => !claimed.has(name));
    return [...copies, ...bare.filter((c) => !byId.has(c.backup.backup_id))];
  }

  /** Moves legacy copies to this layout; a failure leaves the copy readable where it is. */
  private async migrate(store: BlobStore, found: FoundCopy[], orphans: string[], signal?: AbortSignal): Promise<void> {
    for (const name of orphans) await store.remove(name, { signal }).catch(() => undefined);
    for (const f of found.filter((x) => x.legacy)) {
      try {
        await migrateLegacyCopy(store, f, (copy) => this.putRecord(store, copy, signal), signal);
        this.opts.log?.info(`Moved backup ${f.copy.backup.backup_id} to Home Assistant's layout on ${store.where}`);
      } catch (err) {
        this.opts.log?.warn(`Could not move backup ${f.copy.backup.backup_id} to Home Assistant's layout on ${store.where}: ${(err as Error).message}`);
      }
    }
  }

  async find(store: BlobStore, backupId: string, signal?: AbortSignal): Promise<StoredCopy | null> {
    return (await this.list(store, signal)).find((c) => c.backup.backup_id === backupId) ?? null;
  }

  /**
   * Home Assistant's name for the backup's archive — unless another backup's archive already has
   * it (same name, same date to the microsecond): then one that keeps both, with the id added.
   */
  async archiveName(store: BlobStore, backup: AgentBackup, signal?: AbortSignal): Promise<string> {
    const name = haArchiveName(backup);
    const { found } = await this.scan(store, signal);
    const taken = found.some((f) => f.copy.archive === name && f.copy.backup.backup_id !== backup.backup_id);
    return taken ? `${name.slice(0, -ARCHIVE_SUFFIX.length)}_${backup.backup_id}${ARCHIVE_SUFFIX}` : name;
  }

  private async putRecord(store: BlobStore, copy: StoredCopy, signal?: AbortSignal): Promise<string> {
    const name = recordName(this.opts.style, copy.backup, copy.archive);
    // sftp_storage records the archive's absolute path on the server.
    const path = this.opts.style === 'sftp' && store.remotePath ? await store.remotePath(copy.archive) : copy.archive;
    const body = encodeRecord(this.opts.style, copy.backup, copy.sha256, path);
    await store.put(name, (async function* () { yield body; })(), { size: body.length, signal });
    return name;
  }

  /** Writes the record; an older copy of the same backup (another name or date) then goes. */
  async writeRecord(store: BlobStore, copy: StoredCopy, signal?: AbortSignal): Promise<void> {
    const written = await this.putRecord(store, copy, signal);
    const { found } = await this.scan(store, signal);
    for (const old of found.filter((f) => f.copy.backup.backup_id === copy.backup.backup_id && f.copy.record !== written)) {
      await this.removeRecord(store, old.copy, signal);
      if (old.copy.archive !== copy.archive) await store.remove(old.copy.archive, { signal }).catch(() => undefined);
    }
  }

  async removeRecord(store: BlobStore, copy: StoredCopy, signal?: AbortSignal): Promise<void> {
    const name = copy.record ?? recordName(this.opts.style, copy.backup, copy.archive);
    await store.remove(name, { signal }).catch((err: unknown) => {
      if (!(err instanceof BlobNotFound)) throw err;
    });
    this.cache.delete(name);
  }
}
