// The segment cache in the data folder: the compressed segments of the last backup's large files,
// so the next backup copies the segments whose bytes did not change instead of compressing them
// again. One pack file holds the segments, one index file names the pack and where each of the last
// backup's segments lies in it. A backup appends only the segments it compressed afresh to the
// pack and leaves the ones it reused where they are, so it writes what changed, not the whole cache
// again; the index is switched (renamed into place) only once the backup was written, so a failed
// backup leaves the cache as it was: what it appended is cut off when it gives up, or when the
// cache is next opened if it was killed. Opening also removes the folder's other files (packs of
// killed backups): only one backup at a time uses the cache, under the operation lock.
// Entries the last backup did not use stay behind as garbage until they are as many bytes as the
// used ones (or the byte limit stopped the cache from growing): then the used entries are copied
// into a new pack, which replaces the old one — when half the space free holds it (until the old
// pack goes, both take room). The pack never exceeds the byte limit, and a backup
// appends at most half the space that was free when it opened the cache; a write that fails (a
// full disk) stops the cache taking entries and gives back what this backup appended, so the backup
// itself keeps its room.
// Every entry repeats its key and carries a CRC-32 of its fields and data: an entry that does not
// match is not used (the segment is compressed afresh), so a damaged cache costs time, never a wrong
// byte. The index carries a CRC-32 as well and its records must fit in one entry and in the pack:
// an index that does not is not used, and the backup starts a new pack.
// The pack is read and written through one file handle, closed once, after every read and write on
// it has ended; once closing has begun the cache takes and answers nothing.
// The folder is private (0700, files 0600): it holds the installation's files, compressed.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { freeNow } from '../util/owned-chunks.js';
import { storedSize } from './block-deflate.js';
import { SEGMENT_SIZE } from './segment-plan.js';
import type { CachedSegment, SegmentStore } from './segment-store.js';
import { RECORD, SegmentRecords, type Located, type SegmentRecord } from './segment-records.js';

const ENTRY_MAGIC = 0x3253424c; // "LBS2"
const ENTRY_HEADER = 4 + 32 + 16;
/** The largest entry there can be: a whole segment, stored. */
const MAX_ENTRY = ENTRY_HEADER + storedSize(SEGMENT_SIZE);
const INDEX_MAGIC = Buffer.from('LBSIDX02', 'latin1');
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
  /** Entries that did not match their index record, key or checksum, and were not used. */
  damaged: number;
}

/** An entry's checksum: its fields after the key (the segment's CRC-32 and both lengths), then its data. */
function entryCheck(fields: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(fields));
}

/** Writes an entry (header, then the segment's data) into `out` at `at`. */
function encodeEntry(key: Buffer, segment: CachedSegment, out: Buffer, at: number): void {
  out.writeUInt32LE(ENTRY_MAGIC, at);
  key.copy(out, at + 4);
  out.writeUInt32LE(segment.crc >>> 0, at + 36);
  out.writeUInt32LE(segment.length, at + 40);
  out.writeUInt32LE(segment.payload.length, at + 44);
  out.writeUInt32LE(entryCheck(out.subarray(at + 36, at + 48), segment.payload), at + 48);
  out.set(segment.payload, at + ENTRY_HEADER);
}

function decodeEntry(key: Buffer, entry: Buffer): CachedSegment | null {
  if (entry.length < ENTRY_HEADER || entry.readUInt32LE(0) !== ENTRY_MAGIC) return null;
  if (!entry.subarray(4, 36).equals(key)) return null;
  const payload = entry.subarray(ENTRY_HEADER);
  if (entry.readUInt32LE(44) !== payload.length || entry.readUInt32LE(48) !== entryCheck(entry.subarray(36, 48), payload)) return null;
  return { crc: entry.readUInt32LE(36), length: entry.readUInt32LE(40), payload };
}

/** The index: the pack's name, one record per entry (key, offset, size), then a CRC-32 of all before it. */
function parseIndex(bytes: Buffer): { pack: string; entries: SegmentRecords } | null {
  const head = INDEX_MAGIC.length + 2;
  if (bytes.length < head + 4 || !bytes.subarray(0, INDEX_MAGIC.length).equals(INDEX_MAGIC)) return null;
  const body = bytes.subarray(0, bytes.length - 4);
  if (crc32(body) !== bytes.readUInt32LE(body.length)) return null;
  const start = head + body.readUInt16LE(INDEX_MAGIC.length);
  if (start > body.length || (body.length - start) % RECORD !== 0) return null;
  const pack = body.subarray(head, start).toString('utf8');
  if (!/^[0-9a-f]{16}\.pack$/.test(pack)) return null;
  return { pack, entries: SegmentRecords.from(body.subarray(start)) };
}

/** The index in pieces (written as they are: the records are not copied), its CRC-32 last. */
function encodeIndex(pack: string, entries: SegmentRecords): Buffer[] {
  const name = Buffer.from(pack, 'utf8');
  const head = Buffer.alloc(INDEX_MAGIC.length + 2);
  INDEX_MAGIC.copy(head);
  head.writeUInt16LE(name.length, INDEX_MAGIC.length);
  const records = entries.encode();
  const check = Buffer.alloc(4);
  check.writeUInt32LE(crc32(records, crc32(name, crc32(head))));
  return [head, name, records, check];
}

const newPackName = () => `${randomBytes(8).toString('hex')}.pack`;

/** Cuts the file to `length` bytes if it is longer (ftruncate would as readily make it longer). */
async function shrink(handle: FileHandle, length: number): Promise<void> {
  if ((await handle.stat()).size > length) await handle.truncate(length);
}

interface Previous {
  pack: string;
  entries: SegmentRecords;
  handle: FileHandle;
  /** Where its last entry ends: where this backup appends. */
  end: number;
}

/** The last backup's index and its pack, cut back to the entries the index names; null when there is none to trust. */
async function openPrevious(dir: string): Promise<Previous | null> {
  const index = await readFile(join(dir, INDEX_NAME)).then(parseIndex, () => null);
  if (!index) return null;
  const handle = await open(join(dir, index.pack), 'r+').catch(() => null);
  if (!handle) return null;
  const { end, largest } = index.entries.bounds();
  const size = await handle.stat().then((s) => s.size, () => -1);
  // A record larger than any entry, or one past the pack's end, does not describe this pack.
  if (largest <= MAX_ENTRY && end <= size) {
    // What a failed backup appended, and garbage after the last used entry, goes.
    const cut = size === end || (await handle.truncate(end).then(() => true, () => false));
    if (cut) return { ...index, handle, end };
  }
  await handle.close().catch(() => undefined);
  return null;
}

/** Removes every file of the folder but the index and `pack`: what killed backups left behind. */
async function removeStrays(dir: string, pack: string | null): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) if (name !== INDEX_NAME && name !== pack) await unlink(join(dir, name)).catch(() => undefined);
}

/** Half the space free on the cache's file system now: the most the cache writes at once (Infinity when unknown). */
async function halfFree(dir: string): Promise<number> {
  const space = await statfs(dir).catch(() => null);
  return space ? Math.floor((space.bavail * space.bsize) / 2) : Infinity;
}

export class SegmentCache implements SegmentStore {
  readonly stats: SegmentCacheStats = { hits: 0, misses: 0, reusedBytes: 0, damaged: 0 };
  /** This backup's entries (reused ones where they were, new ones appended), their bytes, and where the next goes. */
  private readonly written: SegmentRecords;
  private used = 0;
  private position: number;
  private staging = Buffer.allocUnsafe(STAGING);
  private staged = 0;
  /** Writes in flight, oldest first. */
  private readonly writes = new Set<Promise<void>>();
  /** A write failed: no more entries are taken, and what this backup appended is given back. */
  private failed = false;
  private givingBack: Promise<void> = Promise.resolve();
  /** An entry was not added for want of room under the byte limit. */
  private full = false;
  /** Set once finish() or abandon() began: the one way the pack gets closed. */
  private closing: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    /** The byte limit of the pack. */
    private readonly maxBytes: number,
    /** The byte limit, lowered to what this backup may append of the space free when it opened the cache. */
    private readonly limit: number,
    /** The last backup's entries, in `pack`; none for a new pack. */
    private readonly previous: SegmentRecords | null,
    private readonly pack: string,
    private readonly handle: FileHandle,
    /** Where this backup started appending. */
    private readonly start: number,
  ) {
    this.position = start;
    // Room for as many entries as the last backup had: a table the size of the installation's
    // large files is not grown (and copied) step by step while the backup runs.
    this.written = new SegmentRecords(previous?.size);
  }

  /** Opens the cache in `dir` (created if missing): its pack, cut back to what its index uses, or a new one. */
  static async open(dir: string, options: { maxBytes?: number } = {}): Promise<SegmentCache> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const previous = await openPrevious(dir);
    await removeStrays(dir, previous?.pack ?? null);
    const pack = previous?.pack ?? newPackName();
    const handle = previous?.handle ?? (await open(join(dir, pack), 'wx+', 0o600));
    const start = previous?.end ?? 0;
    const maxBytes = options.maxBytes ?? DEFAULT_SEGMENT_CACHE_BYTES;
    const limit = Math.min(maxBytes, start + (await halfFree(dir)));
    return new SegmentCache(dir, maxBytes, limit, previous?.entries ?? null, pack, handle, start);
  }

  /** Stored segments are read with one read per stretch of consecutive entries (they were written in stream order). */
  async getAll(keys: Buffer[]): Promise<(CachedSegment | null)[]> {
    const found: (CachedSegment | null)[] = keys.map(() => null);
    if (this.closing) return found;
    const places = keys.map((key) => this.previous?.find(key) ?? null);
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
    if (this.closing) return found;
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
    if (this.closing) return;
    const bytes = Buffer.allocUnsafe(size);
    const { bytesRead } = await this.handle.read(bytes, 0, size, offset).catch(() => ({ bytesRead: -1 }));
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
    if (this.failed || this.closing) return;
    const size = ENTRY_HEADER + segment.payload.length;
    if (this.position + size > this.limit) {
      // The byte limit (not a disk short of space) asks for the garbage to go.
      if (this.position + size > this.maxBytes) this.full = true;
      return;
    }
    if (!this.written.add(key, this.position, size)) return; // the same segment twice in one backup
    this.used += size;
    if (this.staged + size > this.staging.length) this.flush();
    encodeEntry(key, segment, this.staging, this.staged); // straight into the gathered bytes: no copy of its own
    this.position += size;
    this.staged += size;
    while (this.writes.size > FLUSHES_IN_FLIGHT) await this.writes.values().next().value;
  }

  /** Writes the gathered entries. */
  private flush(): void {
    if (this.staged === 0 || this.failed) return;
    const bytes = this.staging.subarray(0, this.staged);
    const at = this.position - this.staged;
    this.staging = Buffer.allocUnsafe(STAGING);
    this.staged = 0;
    const write = this.handle.write(bytes, 0, bytes.length, at).then(
      ({ bytesWritten }) => {
        if (bytesWritten !== bytes.length) this.stop();
        else freeNow(bytes.buffer);
      },
      () => this.stop(),
    );
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  /** A write failed (a full disk, most likely): no more entries, and what this backup appended goes once the writes in flight are done. */
  private stop(): void {
    if (this.failed) return;
    this.failed = true;
    this.staged = 0;
    const writes = [...this.writes];
    this.givingBack = Promise.allSettled(writes).then(() => shrink(this.handle, this.start)).catch(() => undefined);
  }

  /** Waits for the writes in flight and for giving back what a failed write left. */
  private async settle(): Promise<void> {
    await Promise.allSettled([...this.writes]);
    await this.givingBack;
  }

  /**
   * The backup was written: the index now names its entries. When garbage (entries no backup uses
   * any more) is as large as what is used, or kept the cache from taking new entries, the used
   * entries move into a new pack. Once this began, abandon() does nothing.
   */
  finish(): Promise<void> {
    this.closing ??= this.keep();
    return this.closing;
  }

  /** The backup failed: the index stays as it was, and what this backup appended goes (a new pack entirely). */
  abandon(): Promise<void> {
    this.closing ??= this.giveBack();
    return this.closing.catch(() => undefined);
  }

  /** Writes the index (or gives back, when a write failed), moves the used entries if that is due, and closes the pack. */
  private async keep(): Promise<void> {
    this.flush();
    await this.settle();
    if (this.failed) return this.giveBack();
    try {
      await this.writeIndex(this.pack, this.written);
    } catch (err) {
      await this.giveBack();
      throw err;
    }
    const garbage = this.position - this.used;
    let pack = this.pack;
    try {
      // A new pack takes the used bytes again until the old one goes: only with room to spare.
      if (garbage > 0 && (garbage >= this.used || this.full) && this.used <= (await halfFree(this.dir))) pack = (await this.compact()) ?? pack;
    } finally {
      await this.handle.close().catch(() => undefined);
    }
    await removeStrays(this.dir, pack);
  }

  /** Once the writes in flight are done, what this backup appended goes (cut off, or the new pack removed) and the pack is closed. */
  private async giveBack(): Promise<void> {
    await this.settle();
    if (this.previous) await shrink(this.handle, this.start).catch(() => undefined);
    await this.handle.close().catch(() => undefined);
    if (!this.previous) await unlink(join(this.dir, this.pack)).catch(() => undefined);
  }

  private async writeIndex(pack: string, entries: SegmentRecords): Promise<void> {
    const temp = join(this.dir, `${INDEX_NAME}.${process.pid}.tmp`);
    const out = await open(temp, 'w', 0o600);
    try {
      // Each piece in full, one after the other from where the last ended.
      for (const piece of encodeIndex(pack, entries)) await out.writeFile(piece);
    } finally {
      await out.close();
    }
    await rename(temp, join(this.dir, INDEX_NAME));
  }

  /** Copies the used entries, in pack order, into a new pack and switches the index to it; null if that failed. */
  private async compact(): Promise<string | null> {
    const pack = newPackName();
    const out = await open(join(this.dir, pack), 'wx', 0o600).catch(() => null);
    if (!out) return null;
    try {
      const moved = new SegmentRecords(this.written.size);
      // Record numbers, not an object per entry: a large cache has tens of thousands of them. The
      // keys are views of the records, which stay as they are while this runs.
      const order = this.written.inPackOrder();
      const entry = (i: number): SegmentRecord | null => (i < order.length ? this.written.record(order[i] as number) : null);
      const buffer = Buffer.allocUnsafe(COMPACT_READ);
      let to = 0;
      let i = 0;
      while (i < order.length) {
        // A stretch of entries that lie one after the other and fit one read.
        const first = entry(i++) as SegmentRecord;
        const stretch = [first];
        let size = first.size;
        for (let e = entry(i); e && e.offset === first.offset + size && size + e.size <= COMPACT_READ; e = entry(++i)) {
          stretch.push(e);
          size += e.size;
        }
        const bytes = buffer.subarray(0, size);
        if ((await this.handle.read(bytes, 0, size, first.offset)).bytesRead !== size) throw new Error('the pack ended early');
        for (let done = 0; done < size; ) done += (await out.write(bytes, done, size - done, to + done)).bytesWritten;
        for (const e of stretch) {
          moved.add(e.key, to, e.size);
          to += e.size;
        }
      }
      await out.close();
      await this.writeIndex(pack, moved);
      return pack;
    } catch {
      await out.close().catch(() => undefined);
      await unlink(join(this.dir, pack)).catch(() => undefined);
      return null;
    }
  }
}
