// An inner archive's index: its entries (with where each one's header and data start in the tar
// stream) and checkpoints where inflating can begin in the middle of the gzip stream — so a listing
// needs no pass over the archive and reading one file inflates only from the checkpoint before it.
//
// Lifeboat's parallel gzip ends every block on a byte boundary (sync flush) and compresses it with
// the previous 32 KiB as dictionary, so a block start resumes with that window and no bit offset;
// the writer records one every CHECKPOINT_SPACING bytes of tar. Other gzip streams (Home
// Assistant's) have no such boundaries: their index holds the entries only, and reading a file
// scans. Decryption resumes without anything stored: SecureTar v2 takes the previous ciphertext
// block as IV, v3 the stream state rebuilt from the MACs of the messages before (securetar/).
// The key that ties an index to one archive's bytes is computed by its keeper (manager/).

import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import type { GzipBlockStart } from './parallel-gzip.js';
import type { TarEntry, TarEntryFacts } from './inner-tar-reader.js';
import { TarTracker, type TrackedEntry } from './tar-tracker.js';

/** Tar bytes between checkpoints (at most): a read inflates at most this much before its file. */
export const CHECKPOINT_SPACING = 8 << 20;
export const INDEX_FORMAT = 'lifeboat-archive-index';

const TYPES = ['file', 'directory', 'symlink', 'link', 'other'] as const;
const Offset = z.number().int().nonnegative();

/** [path, type, raw type, size, mode, uid, gid, mtime ns, linkname, header offset, data offset] */
const EntrySchema = z.tuple([z.string(), z.enum(TYPES), z.string(), Offset, Offset, Offset, Offset, z.string().regex(/^-?\d+$/), z.string(), Offset, Offset]);
/** [offset in the gzip stream, offset in the tar stream, the 32 KiB before it: `z`+deflated or `r`+raw, base64] */
const CheckpointSchema = z.tuple([Offset, Offset, z.string().regex(/^[zr][A-Za-z0-9+/=]*$/)]);

export const ArchiveIndexSchema = z.object({
  format: z.literal(INDEX_FORMAT),
  version: z.literal(1),
  /** Ties the index to the archive's bytes (see the keeper). */
  key: z.string().regex(/^[0-9a-f]{64}$/),
  archive: z.string(),
  /** How the plaintext holds the tar: gzip (checkpoints apply) or the tar itself. */
  compression: z.enum(['gzip', 'none']),
  tarSize: Offset,
  entries: z.array(EntrySchema),
  checkpoints: z.array(CheckpointSchema),
});

export type ArchiveIndex = z.infer<typeof ArchiveIndexSchema>;
/** An index before it is tied to its archive. */
export type ArchiveIndexBody = Omit<ArchiveIndex, 'format' | 'version' | 'key' | 'archive'>;

export interface IndexedEntry extends TrackedEntry {}

export interface Checkpoint {
  gzipOffset: number;
  tarOffset: number;
  window: Buffer;
}

function packWindow(window: Uint8Array): string {
  if (window.length === 0) return 'r';
  const packed = deflateRawSync(window, { level: 6 });
  return packed.length < window.length ? `z${packed.toString('base64')}` : `r${Buffer.from(window).toString('base64')}`;
}

function unpackWindow(text: string): Buffer {
  const bytes = Buffer.from(text.slice(1), 'base64');
  return text[0] === 'z' ? inflateRawSync(bytes) : bytes;
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
  const [gzipOffset, offset, window] = index.checkpoints[best] as z.infer<typeof CheckpointSchema>;
  return { gzipOffset, tarOffset: offset, window: unpackWindow(window) };
}

/**
 * Gathers an index while a tar stream goes by: `tar` with every chunk of tar bytes (before the
 * chunk is released), `block` with every gzip block start when Lifeboat's parallel gzip makes the
 * stream (none: an index without checkpoints).
 */
export class ArchiveIndexBuilder {
  private readonly entries: z.infer<typeof EntrySchema>[] = [];
  private readonly checkpoints: z.infer<typeof CheckpointSchema>[] = [];
  private readonly tracker = new TarTracker((e) => this.entries.push(packEntry(e)));
  private lastCheckpoint = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly compression: 'gzip' | 'none',
    private readonly spacing = CHECKPOINT_SPACING,
  ) {}

  tar(chunk: Uint8Array): void {
    this.tracker.push(chunk);
  }

  block(start: GzipBlockStart): void {
    if (start.inputOffset - this.lastCheckpoint < this.spacing) return;
    this.lastCheckpoint = start.inputOffset;
    this.checkpoints.push([start.outputOffset, start.inputOffset, packWindow(start.dictionary)]);
  }

  finish(): ArchiveIndexBody {
    return { compression: this.compression, tarSize: this.tracker.offset, entries: this.entries, checkpoints: this.checkpoints };
  }
}
