// The outer archive: an index of its members read by position (only headers are read, so
// listing a large backup costs a few small reads), and the header bytes a writer emits.

import { ArchiveCorruptError, ArchiveTruncatedError, InvalidBackupArchive } from '../util/errors.js';
import type { ByteSource } from './byte-source.js';
import {
  BLOCK,
  USTAR_MAX_SIZE,
  decodeHeader,
  decodePaxRecords,
  encodePaxMember,
  encodeUstarHeader,
  isZeroBlock,
  padTo512,
} from './tar-header.js';

export interface OuterMember {
  /** Member name exactly as stored (e.g. `./backup.json`, `homeassistant.tar.gz`). */
  name: string;
  /** Offset of the first header block belonging to this member. */
  headerOffset: number;
  dataOffset: number;
  size: number;
  /** Modification time in seconds, possibly fractional (from PAX). */
  mtime: number;
  mode: number;
  type: string;
}

/** Normalises `./x`, `x`, `././x` to `x` for lenient lookups. */
export function normaliseMemberName(name: string): string {
  let n = name;
  while (n.startsWith('./')) n = n.slice(2);
  return n.replace(/\/+$/, '');
}

function paxNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new ArchiveCorruptError(`Corrupt PAX ${what} record in the outer tar: ${JSON.stringify(text.slice(0, 40))}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new ArchiveCorruptError(`Implausible PAX ${what} record in the outer tar`);
  return n;
}

/** Reads every member header of an outer tar by position. */
export async function indexOuterTar(src: ByteSource): Promise<OuterMember[]> {
  const members: OuterMember[] = [];
  let pos = 0;
  let pax: Record<string, string> = {};
  let longName: string | null = null;
  let headerStart = 0;
  let pending = false;
  for (;;) {
    if (pos >= src.size) {
      if (pending) throw new ArchiveTruncatedError('The backup file ends inside a tar header');
      if (members.length === 0) throw new InvalidBackupArchive('The file is empty, not a backup');
      break; // tolerate a missing end-of-archive marker
    }
    const block = await src.read(pos, BLOCK);
    if (block.length < BLOCK) {
      if (pos === 0) throw new InvalidBackupArchive('The file is too short to be a tar archive');
      throw new ArchiveTruncatedError('The backup file ends inside a tar header');
    }
    if (isZeroBlock(block)) {
      if (members.length === 0 && !pending) throw new InvalidBackupArchive('The file is not a tar archive (empty)');
      break;
    }
    let h;
    try {
      h = decodeHeader(block);
    } catch {
      throw new InvalidBackupArchive(
        members.length === 0 ? 'The file is not a tar archive' : `Corrupt tar header at byte ${pos}`,
      );
    }
    if (!pending) headerStart = pos;
    const dataOffset = pos + BLOCK;
    if (h.type === 'x' || h.type === 'g' || h.type === 'L' || h.type === 'K') {
      if (dataOffset + h.size > src.size) throw new ArchiveTruncatedError('The backup file ends inside a tar header');
      const data = await src.read(dataOffset, h.size);
      if (h.type === 'x') pax = { ...pax, ...decodePaxRecords(data) };
      else if (h.type === 'L') longName = data.toString('utf8').replace(/\0+$/, '');
      pending = true;
      pos = dataOffset + padTo512(h.size);
      continue;
    }
    const size = pax.size !== undefined ? paxNumber(pax.size, 'size') : h.size;
    const paxMtime = pax.mtime !== undefined ? Number(pax.mtime) : Number.NaN;
    const mtime = Number.isFinite(paxMtime) ? paxMtime : h.mtime;
    const name = pax.path ?? longName ?? h.name;
    const hasData = h.type === '0' || h.type === '7' || h.type === '\0';
    const dataSize = hasData ? size : 0;
    if (dataOffset + dataSize > src.size) {
      throw new ArchiveTruncatedError(
        `The backup file is truncated: member ${name} needs ${dataSize} bytes, ${Math.max(0, src.size - dataOffset)} present`,
      );
    }
    members.push({ name, headerOffset: headerStart, dataOffset, size: dataSize, mtime, mode: h.mode, type: h.type });
    pax = {};
    longName = null;
    pending = false;
    pos = dataOffset + padTo512(dataSize);
  }
  return members;
}

/** Header of `./backup.json` as Core writes it: plain ustar, integer mtime, mode 0644, root. */
export function backupJsonHeader(size: number, mtimeSeconds: number): Buffer {
  return encodeUstarHeader({ name: './backup.json', mode: 0o644, size, mtime: Math.floor(mtimeSeconds), type: '0' });
}

/** Bytes reserved for an inner member's header: PAX block + PAX data + ustar block. */
export const INNER_HEADER_SIZE = 3 * BLOCK;

/**
 * Header of an inner archive member (1 536 bytes): a PAX header carrying the fractional mtime
 * (and the size when it exceeds the ustar limit), then the ustar header.
 */
export function innerMemberHeader(name: string, size: number, mtimeSeconds: number): Buffer {
  const pax: Record<string, string> = { mtime: mtimeSeconds.toFixed(6) };
  if (size > USTAR_MAX_SIZE) pax.size = String(size);
  const header = encodePaxMember(
    { name, mode: 0o644, size, mtime: Math.floor(mtimeSeconds), type: '0' },
    pax,
  );
  if (header.length !== INNER_HEADER_SIZE) throw new Error('inner member header has an unexpected size');
  return header;
}

/**
 * Header for any other member: plain ustar when the name fits and the mtime is whole, otherwise
 * with a PAX header (path, fractional mtime, large size).
 */
export function memberHeader(name: string, size: number, mtimeSeconds: number): Buffer {
  const pax: Record<string, string> = {};
  if (!/^[\x20-\x7e]{0,100}$/.test(name)) pax.path = name;
  if (!Number.isInteger(mtimeSeconds)) pax.mtime = mtimeSeconds.toFixed(6);
  if (size > USTAR_MAX_SIZE) pax.size = String(size);
  const fields = {
    name: pax.path ? name.replace(/[^\x20-\x7e]/g, '_').slice(0, 100) : name,
    mode: 0o644,
    size,
    mtime: Math.floor(mtimeSeconds),
    type: '0',
  };
  return Object.keys(pax).length ? encodePaxMember(fields, pax) : encodeUstarHeader(fields);
}

/** End of archive: two zero blocks, padded to the traditional 10 240-byte record. */
export function endOfArchive(position: number): Buffer {
  const end = position + 2 * BLOCK;
  const padded = Math.ceil(end / 10240) * 10240;
  return Buffer.alloc(padded - position);
}

export function paddingFor(size: number): Buffer {
  return Buffer.alloc(padTo512(size) - size);
}
