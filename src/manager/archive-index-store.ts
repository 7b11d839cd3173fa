// Keeps backups' archive indexes in the data folder (`index/<backup id>-<key prefix>.index`, 0600,
// never inside a backup). An index is tied to one archive's bytes by its key — a digest of
// backup.json (which records Lifeboat's archive digest), the file and member sizes and offsets, and
// the member's first and last 4 KiB (random salts when encrypted) — so another file with the same
// backup id never uses it. A damaged or mismatching file is removed and the index rebuilt; the
// folder is held under a size bound (the least recently used go first); a deleted backup's go too.

import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveIndexBuilder, decodeIndex, encodeIndex, INDEX_FORMAT, type ArchiveIndex, type ArchiveIndexBody } from '../archive/archive-index.js';
import type { BackupReader, InnerArchive } from '../archive/backup-reader.js';
import type { Secret } from '../archive/securetar/securetar-header.js';
import { tap } from '../util/chunks.js';
import { writeFileAtomic } from '../util/durable-fs.js';

/** Total size of the index folder kept at most (the least recently used indexes go first). */
export const INDEX_FOLDER_LIMIT = 256 << 20;
const SAMPLE = 4096;
/** An index file's name; `.json` ones (an earlier form) are only ever removed. */
const NAME_RE = /^([0-9A-Za-z_-]+)-([0-9a-f]{16})\.(?:index|json)$/;

/** The digest that ties an index to this inner archive's bytes. */
export async function indexKey(reader: BackupReader, inner: InnerArchive): Promise<string> {
  const { member } = inner;
  const hash = createHash('sha256');
  hash.update(`${INDEX_FORMAT}/1\0${inner.name}\0${reader.source.size}\0${member.dataOffset}\0${member.size}\0`);
  hash.update((await reader.backupJsonBytes()) ?? Buffer.alloc(0));
  hash.update(await reader.source.read(member.dataOffset, Math.min(SAMPLE, member.size)));
  hash.update(await reader.source.read(member.dataOffset + Math.max(0, member.size - SAMPLE), Math.min(SAMPLE, member.size)));
  return hash.digest('hex');
}

export class ArchiveIndexStore {
  constructor(
    readonly dir: string,
    private readonly limit = INDEX_FOLDER_LIMIT,
  ) {}

  private path(backupId: string, key: string): string {
    return join(this.dir, `${backupId}-${key.slice(0, 16)}.index`);
  }

  /** The index of this archive, or null when there is none that matches (a bad file is removed). */
  async load(backupId: string, reader: BackupReader, inner: InnerArchive): Promise<ArchiveIndex | null> {
    const key = await indexKey(reader, inner);
    const path = this.path(backupId, key);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return null;
    }
    const decoded = decodeIndex(bytes);
    const index = decoded && decoded.key === key && decoded.archive === inner.name ? decoded : null;
    if (!index) {
      await rm(path, { force: true });
      return null;
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined); // recently used: kept longest
    return index;
  }

  /** Keeps an index for this archive (0600), then holds the folder under its bound. */
  async save(backupId: string, reader: BackupReader, inner: InnerArchive, body: ArchiveIndexBody): Promise<void> {
    const key = await indexKey(reader, inner);
    const index: ArchiveIndex = { format: INDEX_FORMAT, version: 2, key, archive: inner.name, ...body };
    await writeFileAtomic(this.path(backupId, key), encodeIndex(index), 0o600);
    await this.bound();
  }

  /** Removes every index of a backup id. */
  async remove(backupId: string): Promise<void> {
    for (const name of await this.names()) {
      if (NAME_RE.exec(name)?.[1] === backupId) await rm(join(this.dir, name), { force: true });
    }
  }

  /** Removes the indexes of backups not in `keep`. */
  async prune(keep: ReadonlySet<string>): Promise<void> {
    for (const name of await this.names()) {
      const id = NAME_RE.exec(name)?.[1];
      if (id !== undefined && !keep.has(id)) await rm(join(this.dir, name), { force: true });
    }
  }

  /**
   * The inner archive's tar bytes, an index gathered as they go by: `finish` keeps it once the
   * stream was read to its end (an index of part of an archive is never kept).
   */
  async indexingTar(backupId: string, reader: BackupReader, inner: InnerArchive, secret: Secret | null): Promise<{ tar: AsyncIterable<Buffer>; finish(): Promise<void> }> {
    const enc = await reader.encryption(inner);
    // Encrypted, the name tells (whether it is gzip is only seen after decrypting).
    const compressed = enc.kind === 'none' ? enc.compressed : !inner.name.endsWith('.tar');
    const builder = new ArchiveIndexBuilder(compressed ? 'gzip' : 'none');
    let ended = false;
    const tar = await reader.tarBytes(inner, secret);
    async function* all(): AsyncGenerator<Buffer> {
      yield* tap(tar as AsyncIterable<Buffer>, (c) => builder.tar(c));
      ended = true;
    }
    return {
      tar: all(),
      finish: async () => {
        if (ended) await this.save(backupId, reader, inner, builder.finish());
      },
    };
  }

  private async names(): Promise<string[]> {
    return (await readdir(this.dir).catch(() => [] as string[])).filter((n) => NAME_RE.test(n));
  }

  private async bound(): Promise<void> {
    const files = await Promise.all(
      (await this.names()).map(async (name) => {
        const st = await stat(join(this.dir, name)).catch(() => null);
        return { name, size: st?.size ?? 0, used: st?.mtimeMs ?? 0 };
      }),
    );
    let total = files.reduce((n, f) => n + f.size, 0);
    for (const f of files.sort((a, b) => a.used - b.used)) {
      if (total <= this.limit) break;
      await rm(join(this.dir, f.name), { force: true });
      total -= f.size;
    }
  }
}
