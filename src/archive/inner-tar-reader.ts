// Streams the entries of an inner tar (parsed by tar-stream): type, metadata with PAX fractional
// mtimes, and the body as a stream that must be read or skipped before the next entry arrives.

import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { ArchiveCorruptError, ArchiveTruncatedError, BackupError } from './errors.js';
import { parsePaxTime } from './inner-tar-writer.js';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

export interface TarEntry {
  path: string;
  type: TarEntryType;
  /** tar-stream's name for the type, e.g. `character-device`. */
  rawType: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  linkname: string;
  body: AsyncIterable<Buffer>;
}

function classify(type: string | null | undefined): TarEntryType {
  switch (type) {
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

/** Errors from decryption or decompression are already typed; anything else is tar-stream's. */
function mapTarError(err: unknown): unknown {
  if (err instanceof BackupError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/unexpected end/i.test(msg)) return new ArchiveTruncatedError('The inner tar archive ends early (truncated)');
  return new ArchiveCorruptError(`The inner tar archive is corrupt: ${msg}`);
}

function entryMtimeNs(pax: Record<string, string | undefined>, mtime: Date | undefined): bigint {
  const fromPax = pax.mtime !== undefined ? parsePaxTime(pax.mtime) : null;
  if (fromPax !== null) return fromPax;
  const ms = mtime?.getTime();
  return ms !== undefined && Number.isFinite(ms) ? BigInt(Math.round(ms / 1000)) * 1_000_000_000n : 0n;
}

export async function* readTarEntries(tarBytes: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const extract = tarStream.extract({ allowUnknownFormat: true } as Parameters<typeof tarStream.extract>[0]);
  const input = Readable.from(tarBytes, { objectMode: false });
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const mtimeNs = entryMtimeNs((h.pax ?? {}) as Record<string, string | undefined>, h.mtime);
      const body = entry as unknown as AsyncIterable<Buffer>;
      yield {
        path: h.name,
        type: classify(h.type),
        rawType: h.type ?? 'file',
        mode: h.mode ?? 0o644,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        size: h.size ?? 0,
        mtimeNs,
        linkname: h.linkname ?? '',
        body,
      };
      entry.resume();
    }
  } catch (err) {
    throw mapTarError(err);
  } finally {
    input.unpipe(extract as unknown as NodeJS.WritableStream);
    input.destroy();
    extract.destroy();
  }
}
