// The outer archive: an index of its members read by position (only headers are read, so
// listing a large backup costs a few small reads), and the header bytes a writer emits.

import { ArchiveTruncatedError, InvalidBackupArchive } from '../util/errors.js';
import { MAX_OUTER_MEMBERS, OUTER_EXTENDED_LIMITS, checkLimit } from './archive-limits.js';
import type { ByteSource } from './byte-source.js';
import { BLOCK, BadHeaderBlock, USTAR_MAX_SIZE, TarHeaders, encodeHeader, encodeUstarHeader, fitsUstar, isZeroBlock, padTo512, ustarName, type UstarFields } from './tar-header.js';

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

/** The names the Home Assistant inner archive may have, in the order a reader prefers them. */
export const HOME_ASSISTANT_ARCHIVES = ['homeassistant.tar', 'homeassistant.tar.gz'] as const;

/** Normalises `./x`, `x`, `././x` to `x` for lenient lookups. */
export function normaliseMemberName(name: string): string {
  let n = name;
  while (n.startsWith('./')) n = n.slice(2);
  return n.replace(/\/+$/, '');
}

/**
 * Reads every member header of an outer tar by position. Extended headers and members are counted
 * against the limits of archive-limits.ts before anything they announce is read.
 */
export async function indexOuterTar(src: ByteSource): Promise<OuterMember[]> {
  const members: OuterMember[] = [];
  const where = "the backup's outer tar";
  const headers = new TarHeaders({ where, limits: OUTER_EXTENDED_LIMITS });
  let pos = 0;
  let headerStart = 0;
  for (;;) {
    if (pos >= src.size) {
      if (headers.pending) throw new ArchiveTruncatedError('The backup file ends inside a tar header');
      if (members.length === 0) throw new InvalidBackupArchive('The file is empty, not a backup');
      break; // tolerate a missing end-of-archive marker
    }
    const block = await src.read(pos, BLOCK);
    if (block.length < BLOCK) {
      if (pos === 0) throw new InvalidBackupArchive('The file is too short to be a tar archive');
      throw new ArchiveTruncatedError('The backup file ends inside a tar header');
    }
    if (isZeroBlock(block)) {
      if (members.length === 0 && !headers.pending) throw new InvalidBackupArchive('The file is not a tar archive (empty)');
      break;
    }
    if (!headers.pending) headerStart = pos;
    let step;
    try {
      step = headers.block(block);
    } catch (err) {
      if (!(err instanceof BadHeaderBlock)) throw err;
      throw new InvalidBackupArchive(members.length === 0 ? 'The file is not a tar archive' : `Corrupt tar header at byte ${pos}`);
    }
    const dataOffset = pos + BLOCK;
    if (step.kind === 'extended') {
      if (dataOffset + step.size > src.size) throw new ArchiveTruncatedError('The backup file ends inside a tar header');
      headers.extended(await src.read(dataOffset, step.size));
      pos = dataOffset + padTo512(step.size);
      continue;
    }
    const h = step.header;
    const hasData = h.type === '0' || h.type === '7' || h.type === '\0';
    const dataSize = hasData ? h.size : 0;
    if (dataOffset + dataSize > src.size) {
      throw new ArchiveTruncatedError(
        `The backup file is truncated: member ${h.name} needs ${dataSize} bytes, ${Math.max(0, src.size - dataOffset)} present`,
      );
    }
    checkLimit(members.length + 1, MAX_OUTER_MEMBERS, 'the number of members', where);
    members.push({ name: h.name, headerOffset: headerStart, dataOffset, size: dataSize, mtime: h.mtime, mode: h.mode, type: h.type });
    pos = dataOffset + padTo512(dataSize);
  }
  return members;
}

/** The PAX header block of the outer archive's members, as Python's tarfile names it. */
const PAX_HEADER = { name: '././@PaxHeader', mode: 0, mtime: 0 };

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
  const header = encodeHeader({ name, mode: 0o644, size, mtime: Math.floor(mtimeSeconds), type: '0' }, pax, PAX_HEADER);
  if (header.length !== INNER_HEADER_SIZE) throw new Error('inner member header has an unexpected size');
  return header;
}

/**
 * Header for any other member: plain ustar when the name fits and the mtime is whole, otherwise
 * with a PAX header (path, fractional mtime, large size).
 */
export function memberHeader(name: string, size: number, mtimeSeconds: number): Buffer {
  const pax: Record<string, string> = {};
  if (!fitsUstar(name)) pax.path = name;
  if (!Number.isInteger(mtimeSeconds)) pax.mtime = mtimeSeconds.toFixed(6);
  if (size > USTAR_MAX_SIZE) pax.size = String(size);
  const fields: UstarFields = { name: pax.path ? ustarName(name) : name, mode: 0o644, size, mtime: Math.floor(mtimeSeconds), type: '0' };
  return encodeHeader(fields, pax, PAX_HEADER);
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
