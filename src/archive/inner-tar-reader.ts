// Streams the entries of an inner tar: type, metadata with PAX fractional mtimes and long names
// (PAX or GNU), and the body as slices of the decompressed chunks, which must be read or skipped
// before the next entry arrives. Old (pre-POSIX) headers are accepted; a header whose checksum
// fails is corruption, a stream that ends inside a header or body is truncation. Nothing read from
// a chunk is used once the next chunk has been asked for, so the source may free each chunk then;
// a body slice is valid until its consumer asks for the next. Entries and extended headers are
// counted against the limits of archive-limits.ts.

import { ArchiveCorruptError, ArchiveTruncatedError, BackupError } from '../util/errors.js';
import { parsePaxTime } from './inner-tar-writer.js';
import { BLOCK, BadHeaderBlock, TarHeaders, isZeroBlock, padTo512, type TarMemberHeader } from './tar-header.js';
import { INNER_EXTENDED_LIMITS, MAX_INNER_ENTRIES, checkLimit } from './archive-limits.js';
import { ByteCursor } from '../util/byte-cursor.js';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

export interface TarEntry {
  path: string;
  type: TarEntryType;
  /** The type's name, e.g. `file`, `character-device`. */
  rawType: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  linkname: string;
  body: AsyncIterable<Buffer>;
}

/** Names for the type flags, as tar-stream (and so this reader's callers) know them. */
const RAW_TYPES: Record<string, string> = {
  '0': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
  '7': 'contiguous-file',
};

function classify(rawType: string): TarEntryType {
  switch (rawType) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'link';
    default:
      return 'other';
  }
}

const MAX_DATE_S = 8.64e12;

const truncated = () => new ArchiveTruncatedError('The inner tar archive ends early (truncated)');

/** Errors from decryption or decompression are already typed; anything else is corruption. */
function mapTarError(err: unknown): unknown {
  if (err instanceof BadHeaderBlock) return new ArchiveCorruptError('The inner tar archive is corrupt: invalid tar header (checksum mismatch)');
  if (err instanceof BackupError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new ArchiveCorruptError(`The inner tar archive is corrupt: ${msg}`);
}

function entryMtimeNs(paxMtime: string | undefined, mtimeS: number): bigint {
  const fromPax = paxMtime !== undefined ? parsePaxTime(paxMtime) : null;
  if (fromPax !== null) return fromPax;
  // An unreadable mtime, or one beyond what a date can hold, counts as unknown (the epoch).
  return Number.isFinite(mtimeS) && Math.abs(mtimeS) <= MAX_DATE_S ? BigInt(Math.round(mtimeS)) * 1_000_000_000n : 0n;
}

/** An entry's metadata as a member header gives it (everything but the body). */
export type TarEntryFacts = Omit<TarEntry, 'body'>;

export function entryFacts(h: TarMemberHeader): TarEntryFacts {
  let rawType = RAW_TYPES[h.type] ?? `unknown type ${JSON.stringify(h.type)}`;
  // Old tars mark folders with a trailing slash only.
  if (rawType === 'file' && h.name.endsWith('/')) rawType = 'directory';
  return {
    path: h.name,
    type: classify(rawType),
    rawType,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtimeNs: entryMtimeNs(h.paxMtime, h.mtime),
    linkname: h.linkname,
  };
}

export interface ReadTarOptions {
  /** Entries believed before the archive is refused (default MAX_INNER_ENTRIES). */
  maxEntries?: number;
}

export async function* readTarEntries(tarBytes: AsyncIterable<Buffer>, opts: ReadTarOptions = {}): AsyncGenerator<TarEntry> {
  const cursor = new ByteCursor(tarBytes);
  const where = 'the inner tar archive';
  const headers = new TarHeaders({ where, lenientMtime: true, limits: INNER_EXTENDED_LIMITS });
  const maxEntries = opts.maxEntries ?? MAX_INNER_ENTRIES;
  let count = 0;
  try {
    for (;;) {
      if (await cursor.atEnd()) {
        if (headers.pending) throw truncated();
        return;
      }
      const block = await cursor.take(BLOCK);
      if (!block) throw truncated();
      if (isZeroBlock(block)) continue; // end-of-archive blocks and the padding after them
      const step = headers.block(block);
      if (step.kind === 'extended') {
        // Used before the cursor moves on: `data` may be a view of a chunk that is released then.
        const data = await cursor.take(step.size);
        if (!data) throw truncated();
        headers.extended(data);
        if ((await cursor.skip(padTo512(step.size) - step.size)) > 0) throw truncated();
        continue;
      }
      checkLimit(++count, maxEntries, 'the number of entries', where);
      const facts = entryFacts(step.header);
      const size = facts.size;

      let unread = size;
      let current = true;
      async function* body(): AsyncGenerator<Buffer> {
        if (!current) throw new Error('an entry body was read after the next entry');
        const slices = cursor.slices(unread);
        for (;;) {
          const r = await slices.next();
          if (r.done) {
            if (r.value > 0) throw truncated();
            return;
          }
          unread -= r.value.length;
          yield r.value;
        }
      }
      yield { ...facts, body: body() };
      current = false;
      if ((await cursor.skip(unread + padTo512(size) - size)) > 0) throw truncated();
    }
  } catch (err) {
    throw mapTarError(err);
  } finally {
    await cursor.close();
  }
}
