// An inner archive's index: its entries (with where each one's header and data start in the tar
// stream) and checkpoints where inflating can begin in the middle of the gzip stream — so a listing
// needs no pass over the archive and reading one file inflates only from the checkpoint before it.
//
// Lifeboat's parallel gzip ends every block on a byte boundary, so a block start resumes with no bit
// offset, and with the window the block was compressed after: the previous 32 KiB (zlib), or none
// (libdeflate compresses each block on its own, so its checkpoints cost no memory and no room in
// the file). The writer records one every CHECKPOINT_SPACING bytes of tar, and when an archive
// would have more than MAX_CHECKPOINTS it drops every other one and doubles the spacing, so the
// windows it holds stay under MAX_CHECKPOINTS × 32 KiB whatever the archive's size. Other gzip
// streams (Home Assistant's) have no such boundaries: their index holds the entries only, and
// reading a file scans. Decryption resumes without anything stored: SecureTar v2 takes the
// previous ciphertext block as IV, v3 the stream state rebuilt from the MACs of the messages before
// (securetar/). The key that ties an index to one archive's bytes is computed by its keeper (manager/).

import { freeNow } from '../util/owned-chunks.js';
import { z } from 'zod';
import type { GzipBlockStart } from './parallel-gzip.js';
import type { TarEntry, TarEntryFacts } from './inner-tar-reader.js';
import { TarTracker, type TrackedEntry } from './tar-tracker.js';

/** Tar bytes between checkpoints at first (a read inflates at most this much before its file). */
export const CHECKPOINT_SPACING = 8 << 20;
/** Checkpoints an index keeps at most: their windows are held in memory while a backup is written. */
export const MAX_CHECKPOINTS = 128;
export const INDEX_FORMAT = 'lifeboat-archive-index';

const TYPES = ['file', 'directory', 'symlink', 'link', 'other'] as const;
const Offset = z.number().int().nonnegative();

/** [path, type, raw type, size, mode, uid, gid, mtime ns, linkname, header offset, data offset] */
const EntrySchema = z.tuple([z.string(), z.enum(TYPES), z.string(), Offset, Offset, Offset, Offset, z.string().regex(/^-?\d+$/), z.string(), Offset, Offset]);
/** [offset in the gzip stream, offset in the tar stream, where its window (the 32 KiB before it) starts in the windows, its length] */
const CheckpointSchema = z.tuple([Offset, Offset, Offset, Offset]);

const IndexHeadSchema = z.object({
  format: z.literal(INDEX_FORMAT),
  version: z.literal(2),
  /** Ties the index to the archive's bytes (see the keeper). */
  key: z.string().regex(/^[0-9a-f]{64}$/),
  archive: z.string(),
  /** How the plaintext holds the tar: gzip (checkpoints apply) or the tar itself. */
  compression: z.enum(['gzip', 'none']),
  tarSize: Offset,
  entries: z.array(EntrySchema),
  checkpoints: z.array(CheckpointSchema),
});

/** An index: its head (JSON) and the checkpoints' windows (raw bytes, after the head in the file). */
export type ArchiveIndex = z.infer<typeof IndexHeadSchema> & { windows: Buffer };

/**
 * The file form: the head as one line of JSON, then the windows as raw bytes — a read takes the one
 * window it needs without decoding the others (they are most of the file).
 */
export function encodeIndex(index: ArchiveIndex): Buffer[] {
  const { windows, ...head } = index;
  return [Buffer.from(`${JSON.stringify(head)}\n`, 'utf8'), windows]; // written one after the other: no copy of the windows
}

/** The index in a file's bytes, or null when they are not a well-formed index. */
export function decodeIndex(bytes: Buffer): ArchiveIndex | null {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0) return null;
  let head: unknown;
  try {
    head = JSON.parse(bytes.subarray(0, newline).toString('utf8'));
  } catch {
    return null;
  }
  const parsed = IndexHeadSchema.safeParse(head);
  if (!parsed.success) return null;
  const windows = bytes.subarray(newline + 1);
  if (parsed.data.checkpoints.some(([, , start, length]) => start + length > windows.length)) return null;
  return { ...parsed.data, windows };
}
/** An index before it is tied to its archive. */
export type ArchiveIndexBody = Omit<ArchiveIndex, 'format' | 'version' | 'key' | 'archive'>;

export interface IndexedEntry extends TrackedEntry {}

export interface Checkpoint {
  gzipOffset: number;
  tarOffset: number;
  window: Buffer;
}

function packEntry(e: TrackedEntry): z.infer<typeof EntrySchema> {
  return [e.path, e.type, e.rawType, e.size, e.mode, e.uid, e.gid, e.mtimeNs.toString(), e.linkname, e.headerOffset, e.dataOffset];
}

export function indexEntries(index: ArchiveIndex): IndexedEntry[] {
  return index.entries.map(([path, type, rawType, size, mode, uid, gid, mtime, linkname, headerOffset, dataOffset]) => ({
    path,
    type,
    rawType,
    size,
    mode,
    uid,
    gid,
    mtimeNs: BigInt(mtime),
    linkname,
    headerOffset,
    dataOffset,
  }));
}

const NO_BODY: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: async function* () {} };

/** The index's entries as a tar reader gives them, bodies empty: a listing without the archive. */
export async function* indexTarEntries(entries: readonly IndexedEntry[]): AsyncGenerator<TarEntry> {
  for (const e of entries) {
    const facts: TarEntryFacts = { path: e.path, type: e.type, rawType: e.rawType, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, mtimeNs: e.mtimeNs, linkname: e.linkname };
    yield { ...facts, body: NO_BODY };
  }
}

/** The last checkpoint at or before `tarOffset` (null when there is none). */
export function checkpointBefore(index: ArchiveIndex, tarOffset: number): Checkpoint | null {
  let lo = 0;
  let hi = index.checkpoints.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((index.checkpoints[mid] as z.infer<typeof CheckpointSchema>)[1] <= tarOffset) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0) return null;
  const [gzipOffset, offset, start, length] = index.checkpoints[best] as z.infer<typeof CheckpointSchema>;
  return { gzipOffset, tarOffset: offset, window: index.windows.subarray(start, start + length) };
}

/**
 * Gathers an index while a tar stream goes by: `tar` with every chunk of tar bytes (before the
 * chunk is released), `block` with every gzip block start when Lifeboat's parallel gzip makes the
 * stream (none: an index without checkpoints).
 */
export class ArchiveIndexBuilder {
  private readonly entries: z.infer<typeof EntrySchema>[] = [];
  /** Checkpoints with their windows; the windows' places in the file are counted when it is finished. */
  private checkpoints: { gzip: number; tar: number; window: Buffer }[] = [];
  private readonly tracker = new TarTracker((e) => this.entries.push(packEntry(e)));
  private lastCheckpoint = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly compression: 'gzip' | 'none',
    private spacing = CHECKPOINT_SPACING,
    private readonly maxCheckpoints = MAX_CHECKPOINTS,
  ) {}

  tar(chunk: Uint8Array): void {
    this.tracker.push(chunk);
  }

  block(start: GzipBlockStart): void {
    if (start.inputOffset - this.lastCheckpoint < this.spacing) return;
    this.lastCheckpoint = start.inputOffset;
    // A copy: the gzip's buffer is reused.
    this.checkpoints.push({ gzip: start.outputOffset, tar: start.inputOffset, window: Buffer.from(start.dictionary) });
    if (this.checkpoints.length > this.maxCheckpoints) this.thinOut();
  }

  /** Keeps every other checkpoint (the first stays) and doubles the spacing of those to come. */
  private thinOut(): void {
    const kept = this.checkpoints.filter((_, i) => i % 2 === 0);
    for (const [i, dropped] of this.checkpoints.entries()) if (i % 2 === 1) freeNow(dropped.window.buffer);
    this.checkpoints = kept;
    this.spacing *= 2;
    this.lastCheckpoint = (kept[kept.length - 1] as { tar: number }).tar;
  }

  finish(): ArchiveIndexBody {
    const windows = Buffer.concat(this.checkpoints.map((c) => c.window));
    let at = 0;
    const checkpoints = this.checkpoints.map((c): z.infer<typeof CheckpointSchema> => {
      const entry: z.infer<typeof CheckpointSchema> = [c.gzip, c.tar, at, c.window.length];
      at += c.window.length;
      freeNow(c.window.buffer); // copied into the windows: freed now, not at a later collection
      return entry;
    });
    return { compression: this.compression, tarSize: this.tracker.offset, entries: this.entries, checkpoints, windows };
  }
}
