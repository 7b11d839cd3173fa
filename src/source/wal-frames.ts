// Reads a SQLite write-ahead log the way SQLite recovers one: the 32-byte header (magic, format
// version, page size, salts, checksum), then frames for as long as each carries the header's salts
// and continues the running checksum; only frames up to the last commit frame count. The result says,
// for every page the log holds, where its newest committed version lies, and how many pages the
// database has after that commit. Nothing here trusts the file: a torn, stale or damaged tail simply
// ends the log where SQLite would end it.
// Format: https://www.sqlite.org/fileformat2.html#the_write_ahead_log

import { read } from 'node:fs';
import { promisify } from 'node:util';

const readFd = promisify(read);

export const WAL_HEADER = 32;
export const FRAME_HEADER = 24;
const MAGIC_LE = 0x377f0682;
const MAGIC_BE = 0x377f0683;
const FORMAT_VERSION = 3007000;
/** Bytes of frames read per step while scanning. */
const SCAN_BYTES = 1 << 20;

/** The committed content of a write-ahead log. */
export interface WalIndex {
  pageSize: number;
  /** Database size in pages after the last commit; 0 when the log commits nothing. */
  pages: number;
  /** Pages the log holds, ascending, each with the byte offset of its newest committed version's data. */
  overlay: { page: number; offset: number }[];
}

/** SQLite's WAL checksum over `bytes` (a multiple of 8 long), continuing from `s`. */
export function walChecksum(view: DataView, start: number, length: number, littleEndian: boolean, s: [number, number]): [number, number] {
  let s0 = s[0];
  let s1 = s[1];
  for (let at = start, end = start + length; at < end; at += 8) {
    s0 = (s0 + view.getUint32(at, littleEndian) + s1) >>> 0;
    s1 = (s1 + view.getUint32(at + 4, littleEndian) + s0) >>> 0;
  }
  return [s0, s1];
}

function validPageSize(size: number): boolean {
  return size >= 512 && size <= 65536 && (size & (size - 1)) === 0;
}

/** The header's page size and salts, or null when the log is empty or its header is not valid. */
function parseWalHeader(header: Uint8Array): { pageSize: number; salts: [number, number]; checksum: [number, number]; littleEndian: boolean } | null {
  if (header.length < WAL_HEADER) return null;
  const view = new DataView(header.buffer, header.byteOffset, WAL_HEADER);
  const magic = view.getUint32(0);
  if (magic !== MAGIC_LE && magic !== MAGIC_BE) return null;
  const littleEndian = magic === MAGIC_LE;
  const pageSize = view.getUint32(8);
  if (view.getUint32(4) !== FORMAT_VERSION || !validPageSize(pageSize)) return null;
  const checksum = walChecksum(view, 0, 24, littleEndian, [0, 0]);
  if (checksum[0] !== view.getUint32(24) || checksum[1] !== view.getUint32(28)) return null;
  return { pageSize, salts: [view.getUint32(16), view.getUint32(20)], checksum, littleEndian };
}

/** Scans the log open as `fd` (`size` bytes); null when it holds no valid header. */
export async function indexWal(fd: number, size: number): Promise<WalIndex | null> {
  const headerBytes = Buffer.alloc(WAL_HEADER);
  if ((await readFd(fd, headerBytes, 0, WAL_HEADER, 0)).bytesRead < WAL_HEADER) return null;
  const header = parseWalHeader(headerBytes);
  if (!header) return null;
  const { pageSize, salts, littleEndian } = header;
  const frameSize = FRAME_HEADER + pageSize;
  const framesPerStep = Math.max(1, Math.floor(SCAN_BYTES / frameSize));
  const buffer = Buffer.allocUnsafeSlow(framesPerStep * frameSize);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
  const newest = new Map<number, number>();
  let pending: [number, number][] = []; // frames of the transaction not yet committed: page, data offset
  let pages = 0;
  let checksum = header.checksum;
  let at = WAL_HEADER;
  scan: while (at + frameSize <= size) {
    const want = Math.min(framesPerStep, Math.floor((size - at) / frameSize)) * frameSize;
    const { bytesRead } = await readFd(fd, buffer, 0, want, at);
    for (let f = 0; f + frameSize <= bytesRead; f += frameSize, at += frameSize) {
      const page = view.getUint32(f);
      const commit = view.getUint32(f + 4);
      if (page === 0 || view.getUint32(f + 8) !== salts[0] || view.getUint32(f + 12) !== salts[1]) break scan;
      checksum = walChecksum(view, f, 8, littleEndian, checksum);
      checksum = walChecksum(view, f + FRAME_HEADER, pageSize, littleEndian, checksum);
      if (checksum[0] !== view.getUint32(f + 16) || checksum[1] !== view.getUint32(f + 20)) break scan;
      pending.push([page, at + FRAME_HEADER]);
      if (commit !== 0) {
        for (const [p, offset] of pending) newest.set(p, offset);
        pending = [];
        pages = commit;
      }
    }
    if (bytesRead < want) break;
  }
  const overlay = [...newest].filter(([page]) => page <= pages).map(([page, offset]) => ({ page, offset }));
  overlay.sort((a, b) => a.page - b.page);
  return { pageSize, pages, overlay };
}
