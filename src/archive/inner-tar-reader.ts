// Streams the entries of an inner tar: type, metadata with PAX fractional mtimes and long names
// (PAX or GNU), and the body as slices of the decompressed chunks, which must be read or skipped
// before the next entry arrives. Old (pre-POSIX) headers are accepted; a header whose checksum
// fails is corruption, a stream that ends inside a header or body is truncation. Nothing read from
// a chunk is used once the next chunk has been asked for, so the source may free each chunk then;
// a body slice is valid until its consumer asks for the next.

import { ArchiveCorruptError, ArchiveTruncatedError, BackupError } from '../util/errors.js';
import { parsePaxTime } from './inner-tar-writer.js';
import { BLOCK, decodeHeader, decodePaxRecords, isZeroBlock, padTo512, type DecodedHeader } from './tar-header.js';
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
/** Extended headers larger than this are not believed. */
const MAX_EXTENDED_HEADER = 1 << 20;

const truncated = () => new ArchiveTruncatedError('The inner tar archive ends early (truncated)');

/** Errors from decryption or decompression are already typed; anything else is corruption. */
function mapTarError(err: unknown): unknown {
  if (err instanceof BackupError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new ArchiveCorruptError(`The inner tar archive is corrupt: ${msg}`);
}

function entryMtimeNs(pax: Record<string, string | undefined>, mtimeS: number): bigint {
  const fromPax = pax.mtime !== undefined ? parsePaxTime(pax.mtime) : null;
  if (fromPax !== null) return fromPax;
  // An unreadable mtime, or one beyond what a date can hold, counts as unknown (the epoch).
  return Number.isFinite(mtimeS) && Math.abs(mtimeS) <= MAX_DATE_S ? BigInt(Math.round(mtimeS)) * 1_000_000_000n : 0n;
}

function paxSize(pax: Record<string, string>, header: DecodedHeader): number {
  if (pax.size === undefined) return header.size;
  const n = /^\d+$/.test(pax.size.trim()) ? Number(pax.size) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new ArchiveCorruptError('The inner tar archive has a corrupt PAX size record');
  return n;
}

function decode(block: Buffer): DecodedHeader {
  try {
    return decodeHeader(block, true);
  } catch {
    throw new ArchiveCorruptError('The inner tar archive is corrupt: invalid tar header (checksum mismatch)');
  }
}

function cString(data: Buffer): string {
  const end = data.indexOf(0);
  return data.toString('utf8', 0, end === -1 ? data.length : end);
}

export async function* readTarEntries(tarBytes: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const cursor = new ByteCursor(tarBytes);
  let globalPax: Record<string, string> = {};
  let pax: Record<string, string> = {};
  let longPath: string | null = null;
  let longLink: string | null = null;
  let extended = false; // inside a run of extended headers that must end in an entry
  try {
    for (;;) {
      if (await cursor.atEnd()) {
        if (extended) throw truncated();
        return;
      }
      const block = await cursor.take(BLOCK);
      if (!block) throw truncated();
      if (isZeroBlock(block)) continue; // end-of-archive blocks and the padding after them
      const h = decode(block);
      if (h.type === 'x' || h.type === 'g' || h.type === 'L' || h.type === 'K') {
        if (h.size > MAX_EXTENDED_HEADER) throw new ArchiveCorruptError('The inner tar archive has an implausibly large extended header');
        // Decoded before the cursor moves on: `data` may be a view of a chunk that is freed then.
        const data = await cursor.take(h.size);
        if (!data) throw truncated();
        if (h.type === 'x') pax = { ...pax, ...decodePaxRecords(data) };
        else if (h.type === 'g') globalPax = { ...globalPax, ...decodePaxRecords(data) };
        else if (h.type === 'L') longPath = cString(data);
        else longLink = cString(data);
        if ((await cursor.skip(padTo512(h.size) - h.size)) > 0) throw truncated();
        extended = true;
        continue;
      }
      const records = { ...globalPax, ...pax };
      const size = paxSize(records, h);
      const path = records.path ?? longPath ?? h.name;
      let rawType = RAW_TYPES[h.type] ?? `unknown type ${JSON.stringify(h.type)}`;
      // Old tars mark folders with a trailing slash only.
      if (rawType === 'file' && path.endsWith('/')) rawType = 'directory';
      pax = {};
      longPath = null;
      extended = false;

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
      yield {
        path,
        type: classify(rawType),
        rawType,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        size,
        mtimeNs: entryMtimeNs(records, h.mtime),
        linkname: records.linkpath ?? longLink ?? h.linkname,
        body: body(),
      };
      current = false;
      longLink = null;
      if ((await cursor.skip(unread + padTo512(size) - size)) > 0) throw truncated();
    }
  } catch (err) {
    throw mapTarError(err);
  } finally {
    await cursor.close();
  }
}
