// One entry's bytes read through an archive index: decryption and inflating start at the
// checkpoint before the entry (or, for an uncompressed tar, at the entry itself), not at the
// archive's beginning. Before any byte is handed out, the tar header found at the indexed offset
// must be a valid header of the indexed size — an index that does not describe these bytes fails
// there (IndexMismatch) and the caller scans instead.

import { createInflateRaw } from 'node:zlib';
import type { BackupReader, InnerArchive } from './backup-reader.js';
import { checkpointBefore, type ArchiveIndex, type IndexedEntry } from './archive-index.js';
import type { Secret } from './securetar/securetar-header.js';
import { BLOCK, USTAR_MAX_SIZE, decodeHeader } from './tar-header.js';
import { ArchiveCorruptError, ArchiveTruncatedError } from '../util/errors.js';
import { ByteCursor } from '../util/byte-cursor.js';
import { throughTransform } from '../util/streams.js';

/** The index does not describe the archive's bytes (a stale or wrong index): scan instead. */
export class IndexMismatch extends ArchiveCorruptError {}

const INFLATE = { chunkSize: 1 << 20, readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 };

/** The tar stream from `tarOffset` on (at or after the checkpoint before it); null when the index cannot start there. */
async function tarFrom(reader: BackupReader, inner: InnerArchive, secret: Secret | null, index: ArchiveIndex, tarOffset: number): Promise<{ bytes: AsyncIterable<Buffer>; at: number } | null> {
  if (index.compression === 'none') {
    const plain = await reader.plaintextFrom(inner, secret, tarOffset);
    return plain ? { bytes: plain, at: tarOffset } : null;
  }
  const checkpoint = checkpointBefore(index, tarOffset);
  if (!checkpoint) return null;
  const plain = await reader.plaintextFrom(inner, secret, checkpoint.gzipOffset);
  if (!plain) return null;
  const inflater = createInflateRaw(checkpoint.window.length ? { ...INFLATE, dictionary: checkpoint.window } : INFLATE);
  const mapError = (err: unknown) => (err instanceof Error && 'code' in err && String(err.code).startsWith('Z_') ? new IndexMismatch(`The archive index does not match the archive: ${err.message}`) : err);
  return { bytes: throughTransform(plain, inflater, { mapError }), at: checkpoint.tarOffset };
}

/**
 * Opens an indexed entry's body; resolves once its header was found where the index says (so a
 * mismatch is known before anything is streamed), or null when the index has no way in (no
 * checkpoint: the caller scans). The body is read once; `return` on it stops the reading.
 */
export async function openIndexedEntry(
  reader: BackupReader,
  inner: InnerArchive,
  secret: Secret | null,
  index: ArchiveIndex,
  entry: IndexedEntry,
): Promise<AsyncGenerator<Buffer> | null> {
  const from = await tarFrom(reader, inner, secret, index, entry.headerOffset);
  if (!from) return null;
  const cursor = new ByteCursor(from.bytes);
  try {
    if ((await cursor.skip(entry.headerOffset - from.at)) > 0) throw new IndexMismatch('The archive index points past the end of the archive');
    const block = await cursor.take(BLOCK);
    if (!block) throw new IndexMismatch('The archive index points past the end of the archive');
    let ok: boolean;
    try {
      const h = decodeHeader(block, true);
      ok = h.size === entry.size || (entry.size > USTAR_MAX_SIZE && h.size === 0) || (entry.type !== 'file' && entry.type !== 'other');
    } catch {
      ok = false;
    }
    if (!ok) throw new IndexMismatch('The archive index does not match the archive (no such header at its offset)');
  } catch (err) {
    await cursor.close();
    throw err;
  }
  return body(cursor, entry.size);
}

async function* body(cursor: ByteCursor, size: number): AsyncGenerator<Buffer> {
  try {
    const slices = cursor.slices(size);
    for (;;) {
      const r = await slices.next();
      if (r.done) {
        if (r.value > 0) throw new ArchiveTruncatedError('The inner tar archive ends early (truncated)');
        return;
      }
      yield r.value;
    }
  } finally {
    await cursor.close();
  }
}
