// The segment cache in the data folder: the compressed segments of the last backup's large files,
// so the next backup copies the segments whose bytes did not change instead of compressing them
// again. One pack file holds the segments, one index file names the pack and where each segment
// lies in it. Each backup writes a new pack with the segments it used — reused ones carried over,
// new ones added — in stream order, and the index is switched to it (renamed into place) only once
// the backup was written; the old pack is then removed. So the cache holds one backup's segments,
// never more than its byte limit, and a failed backup leaves the previous cache as it was.
// Every entry repeats its key and carries a CRC-32 of its data: an entry that does not match is not
// used (the segment is compressed afresh), so a damaged cache costs time, never a wrong byte.
// The folder is private (0700, files 0600): it holds the installation's files, compressed.

import { randomBytes } from 'node:crypto';
import { close, open, read, write } from 'node:fs';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { freeNow } from '../util/owned-chunks.js';
import type { CachedSegment, SegmentStore } from './segment-store.js';
import { RECORD, SegmentRecords, type Located } from './segment-records.js';

const openFd = promisify(open);
const readFd = promisify(read);
const writeFd = promisify(write);
const closeFd = promisify(close);

const ENTRY_MAGIC = 0x3153424c; // "LBS1"
const ENTRY_HEADER = 4 + 32 + 16;
const INDEX_MAGIC = Buffer.from('LBSIDX01', 'latin1');
const INDEX_NAME = 'segments.index';
const STAGING = 256 * 1024;
const FLUSHES_IN_FLIGHT = 4;
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

export class SegmentCache implements SegmentStore {
  readonly stats: SegmentCacheStats = { hits: 0, misses: 0, reusedBytes: 0, damaged: 0 };
  /** The new pack: its entries, where the next one goes, bytes gathered for one write. */
  private readonly written = new SegmentRecords();
  private position = 0;
  private staging = Buffer.allocUnsafe(STAGING);
  private staged = 0;
  private readonly flushes: Promise<void>[] = [];
  private failed = false;

  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly previous: { fd: number; pack: string; entries: SegmentRecords } | null,
    private readonly pack: string,
    private readonly fd: number,
  ) {}

  /** Opens the cache in `dir` (created if missing) and starts this backup's pack. */
  static async open(dir: string, options: { maxBytes?: number } = {}): Promise<SegmentCache> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let previous: { fd: number; pack: string; entries: SegmentRecords } | null = null;
    const index = await readFile(join(dir, INDEX_NAME)).then(parseIndex, () => null);
    if (index) {
      const fd = await openFd(join(dir, index.pack), 'r').catch(() => null);
      if (fd !== null) previous = { fd, ...index };
    }
    const pack = `${randomBytes(8).toString('hex')}.pack`;
    const fd = await openFd(join(dir, pack), 'wx', 0o600);
    return new SegmentCache(dir, options.maxBytes ?? DEFAULT_SEGMENT_CACHE_BYTES, previous, pack, fd);
  }

  /** Stored segments are read with one read per stretch of consecutive entries (they were written in stream order). */
  async getAll(keys: Buffer[]): Promise<(CachedSegment | null)[]> {
    const places = keys.map((key) => this.previous?.entries.find(key) ?? null);
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
      if (!segment) {
        if (places[i]) this.stats.damaged++;
        this.stats.misses++;
        continue;
      }
      this.stats.hits++;
      this.stats.reusedBytes += segment.length;
      await this.append(keys[i] as Buffer, segment); // carried over into the new pack
    }
    return found;
  }

  private async readStretch(keys: Buffer[], places: (Located | null)[], found: (CachedSegment | null)[], from: number, to: number, offset: number, size: number): Promise<void> {
    const bytes = Buffer.allocUnsafe(size);
    const { bytesRead } = await readFd((this.previous as { fd: number }).fd, bytes, 0, size, offset).catch(() => ({ bytesRead: -1 }));
    if (bytesRead !== size) return;
    let at = 0;
    for (let i = from; i < to; i++) {
      const place = places[i] as Located;
      found[i] = decodeEntry(keys[i] as Buffer, bytes.subarray(at, at + place.size));
      at += place.size;
    }
  }

  put(key: Buffer, segment: CachedSegment): Promise<void> {
    return this.append(key, segment);
  }

  private async append(key: Buffer, segment: CachedSegment): Promise<void> {
    const size = ENTRY_HEADER + segment.payload.length;
    if (this.failed || this.position + size > this.maxBytes || !this.written.add(key, this.position, size)) return;
    if (this.staged + size > this.staging.length) this.flush();
    encodeEntry(key, segment, this.staging, this.staged); // straight into the gathered bytes: no copy of its own
    this.position += size;
    this.staged += size;
    while (this.flushes.length > FLUSHES_IN_FLIGHT) await this.flushes.shift();
  }

  /** Writes the gathered entries; a failed write stops the new pack (the old cache stays). */
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

  /** The backup was written: the new pack becomes the cache, the old one goes. */
  async finish(): Promise<void> {
    this.flush();
    await Promise.all(this.flushes.splice(0));
    await closeFd(this.fd);
    await this.closePrevious();
    if (this.failed) {
      await unlink(join(this.dir, this.pack)).catch(() => undefined);
      return;
    }
    const temp = join(this.dir, `${INDEX_NAME}.${process.pid}.tmp`);
    await writeFile(temp, encodeIndex(this.pack, this.written), { mode: 0o600 });
    await rename(temp, join(this.dir, INDEX_NAME));
    const stray = (await readdir(this.dir)).filter((n) => n !== this.pack && n !== INDEX_NAME);
    for (const name of stray) await unlink(join(this.dir, name)).catch(() => undefined);
  }

  /** The backup failed: its pack is dropped and the cache stays as it was. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.flushes.splice(0));
    await closeFd(this.fd).catch(() => undefined);
    await this.closePrevious();
    await unlink(join(this.dir, this.pack)).catch(() => undefined);
  }

  private async closePrevious(): Promise<void> {
    if (this.previous) await closeFd(this.previous.fd).catch(() => undefined);
  }
}
