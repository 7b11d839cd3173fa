// The inner tar stream (`data/...`) produced from entries: directories as entries, symlinks as
// links, modes and fractional mtimes kept (PAX), PAX paths for long or non-ASCII names and PAX
// sizes above 8 GiB. Shares the header encoder of the outer archive, so there is one tar encoder.

import { BLOCK, USTAR_MAX_ID, USTAR_MAX_SIZE, USTAR_MAX_TIME, encodeHeader, fitsUstar, padTo512, ustarName } from './tar-header.js';
import { ArchiveCorruptError } from '../util/errors.js';

/** One entry to archive. Paths are POSIX, relative to the archive root (e.g. `data/a.yaml`). */
export interface InnerEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  /** Modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
  uid?: number;
  gid?: number;
  /** Files: the number of bytes the archive will hold. */
  size?: number;
  linkname?: string;
  /** Files: the content, either whole or as a stream that yields exactly `size` bytes. */
  data?: Buffer | (() => AsyncIterable<Buffer>);
  /** False for content made afresh for each backup (a database dump), which no later backup repeats. */
  reusable?: boolean;
}

const NS_PER_S = 1_000_000_000n;

/** Seconds with up to nine decimals, trailing zeros trimmed (`1735689600.25`). */
export function formatPaxTime(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  const whole = abs / NS_PER_S;
  const frac = (abs % NS_PER_S).toString().padStart(9, '0').replace(/0+$/, '');
  return frac ? `${sign}${whole}.${frac}` : `${sign}${whole}`;
}

export function parsePaxTime(text: string): bigint | null {
  const m = /^(-?)(\d+)(?:\.(\d{1,9})\d*)?$/.exec(text.trim());
  if (!m) return null;
  const ns = BigInt(m[2] as string) * NS_PER_S + BigInt((m[3] ?? '').padEnd(9, '0') || '0');
  return m[1] ? -ns : ns;
}

/** Header bytes (PAX block when needed, then ustar) for one entry. */
export function encodeEntryHeader(entry: InnerEntry): Buffer {
  const size = entry.type === 'file' ? (entry.size ?? 0) : 0;
  const pax: Record<string, string> = {};
  if (!fitsUstar(entry.path)) pax.path = entry.path;
  if (entry.linkname !== undefined && !fitsUstar(entry.linkname)) pax.linkpath = entry.linkname;
  if (entry.mtimeNs % NS_PER_S !== 0n || entry.mtimeNs < 0n) pax.mtime = formatPaxTime(entry.mtimeNs);
  if (size > USTAR_MAX_SIZE) pax.size = String(size);
  // Values beyond their ustar field go into PAX records, the field left 0, as Python's tarfile does.
  let mtime = Math.max(0, Number(entry.mtimeNs / NS_PER_S));
  if (mtime > USTAR_MAX_TIME) {
    pax.mtime = formatPaxTime(entry.mtimeNs);
    mtime = 0;
  }
  const uid = entry.uid ?? 0;
  const gid = entry.gid ?? 0;
  if (uid > USTAR_MAX_ID) pax.uid = String(uid);
  if (gid > USTAR_MAX_ID) pax.gid = String(gid);
  const fields = {
    name: pax.path ? ustarName(entry.path) : entry.path,
    mode: entry.mode & 0o7777,
    uid: pax.uid ? 0 : uid,
    gid: pax.gid ? 0 : gid,
    size,
    mtime,
    type: entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2',
    linkname: pax.linkpath ? '' : (entry.linkname ?? ''),
  };
  // GNU tar's name for the PAX header block: PaxHeaders/<the entry's base name>.
  return encodeHeader(fields, pax, { name: `PaxHeaders/${ustarName(entry.path.split('/').pop() ?? '', 80)}`, mode: 0o644, mtime });
}

const ZERO = Buffer.alloc(BLOCK);

export interface InnerTarOptions {
  /** Told where each reusable file's content lies in the stream, before any byte of it is yielded. */
  onContent?: (start: number, size: number) => void;
}

/** The tar byte stream for a sequence of entries, ending with two zero blocks (padded to 10 KiB). */
export async function* innerTarStream(entries: AsyncIterable<InnerEntry>, options: InnerTarOptions = {}): AsyncGenerator<Buffer> {
  let position = 0;
  for await (const entry of entries) {
    const header = encodeEntryHeader(entry);
    position += header.length;
    if (entry.type === 'file' && entry.size && entry.reusable !== false) options.onContent?.(position, entry.size);
    yield header;
    if (entry.type !== 'file') continue;
    const size = entry.size ?? 0;
    let written = 0;
    if (Buffer.isBuffer(entry.data)) {
      if (entry.data.length !== size) throw new ArchiveCorruptError(`size mismatch for ${entry.path}`);
      if (size) yield entry.data;
      written = size;
    } else if (entry.data) {
      for await (const chunk of entry.data()) {
        written += chunk.length;
        if (written > size) throw new ArchiveCorruptError(`${entry.path} yielded more bytes than its size`);
        yield chunk;
      }
    }
    if (written !== size) throw new ArchiveCorruptError(`${entry.path} yielded ${written} of ${size} bytes`);
    position += size;
    const pad = padTo512(size) - size;
    if (pad) yield ZERO.subarray(0, pad);
    position += pad;
  }
  const end = position + 2 * BLOCK;
  yield Buffer.alloc(Math.ceil(end / 10240) * 10240 - position);
}
