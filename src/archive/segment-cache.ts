// The segment cache in the data folder: the compressed segments of the last backup's large files,
// so the next backup copies the segments whose bytes did not change instead of compressing them
// again. One pack file holds the segments, one index file names the pack and where each of the last
// backup's segments lies in it. A backup appends only the segments it compressed afresh to the
// pack and leaves the ones it reused where they are, so it writes what changed, not the whole cache
// again; the index is switched (renamed into place) only once the backup was written, so a failed
// backup leaves the cache as it was, and what it appended is cut off when the cache is next opened.
// Entries the last backup did not use stay behind as garbage until they are as many bytes as the
// used ones (or the byte limit stopped the cache from growing): then the used entries are copied
// into a new pack, which replaces the old one. The pack never exceeds the byte limit.
// Every entry repeats its key and carries a CRC-32 of its data: an entry that does not match is not
// used (the segment is compressed afresh), so a damaged cache costs time, never a wrong byte.
// The folder is private (0700, files 0600): it holds the installation's files, compressed.

import { randomBytes } from 'node:crypto';
import { close, ftruncate, open, read, write } from 'node:fs';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { freeNow } from '../util/owned-chunks.js';
import type { CachedSegment, SegmentStore } from './segment-store.js';
import { RECORD, SegmentRecords, type Located, type SegmentRecord } from './segment-records.js';

const openFd = promisify(open);
const readFd = promisify(read);
const writeFd = promisify(write);
const closeFd = promisify(close);
const truncateFd = promisify(ftruncate);

const ENTRY_MAGIC = 0x3153424c; // "LBS1"
const ENTRY_HEADER = 4 + 32 + 16;
const INDEX_MAGIC = Buffer.from('LBSIDX01', 'latin1');
const INDEX_NAME = 'segments.index';
const STAGING = 256 * 1024;
const FLUSHES_IN_FLIGHT = 4;
/** Bytes copied per read when used entries move into a new pack. */
const COMPACT_READ = 1 << 20;
/** Default limit: the compressed large files of a big installation, not more. */
export const DEFAULT_SEGMENT_CACHE_BYTES = 4 * 1024 ** 3;

export interface SegmentCacheStats {
  hits: number;
  misses: number;
  /** Input bytes of the segments taken from the cache. */
  reusedBytes: number;
  /** Entries that did not match their index record, key or CRC, and were not used. */
  damaged: number;
}

/** Writes an entry (header, then the segment's data) into `out` at `at`. */
function encodeEntry(key: Buffer, segment: CachedSegment, out: Buffer, at: number): void {
  out.writeUInt32LE(ENTRY_MAGIC, at);
  key.copy(out, at + 4);
  out.writeUInt32LE(segment.crc >>> 0, at + 36);
  out.writeUInt32LE(segment.length, at + 40);
  out.writeUInt32LE(segment.payload.length, at + 44);
  out.writeUInt32LE(crc32(segment.payload), at + 48);
  out.set(segment.payload, at + ENTRY_HEADER);
}

function decodeEntry(key: Buffer, entry: Buffer): CachedSegment | null {
  if (entry.length < ENTRY_HEADER || entry.readUInt32LE(0) !== ENTRY_MAGIC) return null;
  if (!entry.subarray(4, 36).equals(key)) return null;
  const payload = entry.subarray(ENTRY_HEADER);
  if (entry.readUInt32LE(44) !== payload.length || entry.readUInt32LE(48) !== crc32(payload)) return null;
  return { crc: entry.readUInt32LE(36), length: entry.readUInt32LE(40), payload };
}

/** The index: the pack's name, then one record per entry (key, offset, size). */
function parseIndex(bytes: Buffer): { pack: string; entries: SegmentRecords } | null {
  if (bytes.length < INDEX_MAGIC.length + 2 || !bytes.subarray(0, INDEX_MAGIC.length).equals(INDEX_MAGIC)) return null;
  const nameLength = bytes.readUInt16LE(INDEX_MAGIC.length);
  const start = INDEX_MAGIC.length + 2 + nameLength;
  const pack = bytes.subarray(INDEX_MAGIC.length + 2, start).toString('utf8');
  if (!/^[0-9a-f]{16}\.pack$/.test(pack) || (bytes.length - start) % RECORD !== 0) return null;
  return { pack, entries: SegmentRecords.from(bytes.subarray(start)) };
}

function encodeIndex(pack: string, entries: SegmentRecords): Buffer {
  const name = Buffer.from(pack, 'utf8');
  const head = Buffer.alloc(INDEX_MAGIC.length + 2);
  INDEX_MAGIC.copy(head);
  head.writeUInt16LE(name.length, INDEX_MAGIC.length);
  return Buffer.concat([head, name, entries.encode()]);
}

const newPackName = () => `${randomBytes(8).toString('hex')}.pack`;

export class SegmentCache implements SegmentStore {
  readonly stats: SegmentCacheStats = { hits: 0, misses: 0, reusedBytes: 0, damaged: 0 };
  /** This backup's entries (reused ones where they were, new ones appended), their bytes, and where the next goes. */
  private readonly written = new SegmentRecords();
  private used = 0;
  private position: number;
  private staging = Buffer.allocUnsafe(STAGING);
  private staged = 0;
  private readonly flushes: Promise<void>[] = [];
  private failed = false;
  /** An entry was not added for want of room under the byte limit. */
  private full = false;

  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    /** The last backup's entries, in `pack`; none for a new pack. */
    private readonly previous: SegmentRecords | null,
    private readonly pack: string,
    private readonly fd: number,
    end: number,
  ) {
    this.position = end;
  }

  /** Opens the cache in `dir` (created if missing): its pack, cut back to what its index uses, or a new one. */
  static async open(dir: string, options: { maxBytes?: number } = {}): Promise<SegmentCache> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const maxBytes = options.maxBytes ?? DEFAULT_SEGMENT_CACHE_BYTES;
    const index = await readFile(join(dir, INDEX_NAME)).then(parseIndex, () => null);
    if (index) {
      const fd = await openFd(join(dir, index.pack), 'r+').catch(() => null);
      if (fd !== null) {
        const end = index.entries.end();
        // What a failed backup appended, and garbage after the last used entry, goes.
        const cut = await truncateFd(fd, end).then(() => true, () => false);
        if (cut) return new SegmentCache(dir, maxBytes, index.entries, index.pack, fd, end);
        await closeFd(fd).catch(() => undefined);
      }
    }
    const pack = newPackName();
    const fd = await openFd(join(dir, pack), 'wx+', 0o600);
    return new SegmentCache(dir, maxBytes, null, pack, fd, 0);
  }

  /** Stored segments are read with one read per stretch of consecutive entries (they were written in stream order). */
  async getAll(keys: Buffer[]): Promise<(CachedSegment | null)[]> {
    const places = keys.map((key) => this.previous?.find(key) ?? null);
    const found: (CachedSegment | null)[] = keys.map(() => null);
    const reads: Promise<void>[] = [];
    for (let i = 0; i < keys.length; ) {
      const first = places[i];
      if (!first) {
        i++;
        continue;
      }
      let end = i + 1;
      let size = first.size;
      for (let at = places[end]; at && at.offset === first.offset + size; at = places[++end]) size += at.size;
      reads.push(this.readStretch(keys, places, found, i, end, first.offset, size));
      i = end;
    }
    await Promise.all(reads);
    for (let i = 0; i < keys.length; i++) {
      const segment = found[i];
      const place = places[i];
      if (!segment || !place) {
        if (place) this.stats.damaged++;
        this.stats.misses++;
        continue;
      }
      this.stats.hits++;
      this.stats.reusedBytes += segment.length;
      if (this.written.add(keys[i] as Buffer, place.offset, place.size)) this.used += place.size; // kept where it is
    }
    return found;
  }

  private async readStretch(keys: Buffer[], places: (Located | null)[], found: (CachedSegment | null)[], from: number, to: number, offset: number, size: number): Promise<void> {
    const bytes = Buffer.allocUnsafe(size);
    const { bytesRead } = await readFd(this.fd, bytes, 0, size, offset).catch(() => ({ bytesRead: -1 }));
    if (bytesRead !== size) return;
    let at = 0;
    for (let i = from; i < to; i++) {
      const place = places[i] as Located;
      found[i] = decodeEntry(keys[i] as Buffer, bytes.subarray(at, at + place.size));
      at += place.size;
    }
  }

  /** Appends a freshly compressed segment to the pack (unless the byte limit is reached). */
  async put(key: Buffer, segment: CachedSegment): Promise<void> {
    const size = ENTRY_HEADER + segment.payload.length;
    if (this.failed) return;
    if (this.position + size > this.maxBytes) {
      this.full = true;
      return;
    }
    if (!this.written.add(key, this.position, size)) return; // the same segment twice in one backup
    this.used += size;
    if (this.staged + size > this.staging.length) this.flush();
    encodeEntry(key, segment, this.staging, this.staged); // straight into the gathered bytes: no copy of its own
    this.position += size;
    this.staged += size;
    while (this.flushes.length > FLUSHES_IN_FLIGHT) await this.flushes.shift();
  }

  /** Writes the gathered entries; a failed write stops the cache from taking this backup's (the old one stays). */
  private flush(): void {
    if (this.staged === 0) return;
    const bytes = this.staging.subarray(0, this.staged);
    const at = this.position - this.staged;
    this.staging = Buffer.allocUnsafe(STAGING);
    this.staged = 0;
    this.flushes.push(
      writeFd(this.fd, bytes, 0, bytes.length, at).then(
        ({ bytesWritten }) => {
          if (bytesWritten !== bytes.length) this.failed = true;
          freeNow(bytes.buffer);
        },
        () => {
          this.failed = true;
        },
      ),
    );
  }

  /**
   * The backup was written: the index now names its entries. When garbage (entries no backup uses
   * any more) is as large as what is used, or kept the cache from taking new entries, the used
   * entries move into a new pack.
   */
  async finish(): Promise<void> {
    this.flush();
    await Promise.all(this.flushes.splice(0));
    if (this.failed) {
      await this.abandon();
      return;
    }
    const garbage = this.position - this.used;
    let pack = this.pack;
    try {
      await this.writeIndex(this.pack, this.written);
      if (garbage > 0 && (garbage >= this.used || this.full)) pack = (await this.compact()) ?? pack;
    } finally {
      await closeFd(this.fd).catch(() => undefined);
    }
    const stray = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => n !== pack && n !== INDEX_NAME);
    for (const name of stray) await unlink(join(this.dir, name)).catch(() => undefined);
  }

  private async writeIndex(pack: string, entries: SegmentRecords): Promise<void> {
    const temp = join(this.dir, `${INDEX_NAME}.${process.pid}.tmp`);
    await writeFile(temp, encodeIndex(pack, entries), { mode: 0o600 });
    await rename(temp, join(this.dir, INDEX_NAME));
  }

  /** Copies the used entries, in pack order, into a new pack and switches the index to it; null if that failed. */
  private async compact(): Promise<string | null> {
    const pack = newPackName();
    const fd = await openFd(join(this.dir, pack), 'wx', 0o600).catch(() => null);
    if (fd === null) return null;
    try {
      const moved = new SegmentRecords(this.written.size);
      // The keys are views of the records, which stay as they are while this runs.
      const order = [...this.written.records()].sort((a, b) => a.offset - b.offset);
      const buffer = Buffer.allocUnsafe(COMPACT_READ);
      let to = 0;
      let i = 0;
      while (i < order.length) {
        // A stretch of entries that lie one after the other and fit one read.
        const first = order[i++] as SegmentRecord;
        const stretch = [first];
        let size = first.size;
        for (let e = order[i]; e && e.offset === first.offset + size && size + e.size <= COMPACT_READ; e = order[++i]) {
          stretch.push(e);
          size += e.size;
        }
        const bytes = buffer.subarray(0, size);
        if ((await readFd(this.fd, bytes, 0, size, first.offset)).bytesRead !== size) throw new Error('the pack ended early');
        for (let done = 0; done < size; ) done += (await writeFd(fd, bytes, done, size - done, to + done)).bytesWritten;
        for (const e of stretch) {
          moved.add(e.key, to, e.size);
          to += e.size;
        }
      }
      await closeFd(fd);
      await this.writeIndex(pack, moved);
      return pack;
    } catch {
      await closeFd(fd).catch(() => undefined);
      await unlink(join(this.dir, pack)).catch(() => undefined);
      return null;
    }
  }

  /** The backup failed: the index stays as it was; a new pack goes, appended entries are cut off at the next open. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.flushes.splice(0));
    await closeFd(this.fd).catch(() => undefined);
    if (!this.previous) await unlink(join(this.dir, this.pack)).catch(() => undefined);
  }
}
