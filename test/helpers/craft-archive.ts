// Builds hostile tar archives and backup files byte by byte: inner tars with any entry type,
// name, link target or PAX / GNU long-name record (and headers patched after encoding, with the
// checksum recomputed), gzip-compressed inner archives, and outer backup tars around them. Also a
// seeded PRNG and byte-level mutations (truncate, flip) for corruption tests, and backup files
// that go past the readers' limits (a huge backup.json, endless PAX headers), written to disk
// without being held in memory.

import { open } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { buildCoreBackupJson, serializeBackupJson } from '../../src/archive/backup-json.js';
import { BLOCK, encodePaxRecords, encodeUstarHeader, padTo512 } from '../../src/archive/tar-header.js';

/** Tar type flags used by the tests. */
export const TYPE = {
  file: '0',
  hardLink: '1',
  symlink: '2',
  charDevice: '3',
  blockDevice: '4',
  directory: '5',
  fifo: '6',
  pax: 'x',
  gnuLongName: 'L',
} as const;

export interface CraftEntry {
  name: string;
  /** Tar type flag (default `0`, a regular file). */
  type?: string;
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
  mtime?: number;
  /** Records of a PAX `x` header emitted just before this entry. */
  pax?: Record<string, string>;
  /** A GNU `L` (long name) header emitted just before this entry. */
  gnuLongName?: string;
  /** Edits the encoded ustar header; the checksum is recomputed afterwards. */
  patch?: (header: Buffer) => void;
}

/** Writes the ustar checksum of a 512-byte header in place and returns it. */
export function setChecksum(header: Buffer): Buffer {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += header[i] as number;
  header.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'ascii');
  return header;
}

function padded(data: Buffer): Buffer {
  const out = Buffer.alloc(padTo512(data.length));
  data.copy(out);
  return out;
}

const fits = (text: string) => Buffer.byteLength(text) <= 100;

/** The header block(s) and data blocks of one entry. */
export function entryBlocks(e: CraftEntry): Buffer {
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
  const type = e.type ?? TYPE.file;
  const parts: Buffer[] = [];
  const pax = { ...e.pax };
  if (!fits(e.name) && pax.path === undefined) pax.path = e.name;
  if (e.linkname !== undefined && !fits(e.linkname) && pax.linkpath === undefined) pax.linkpath = e.linkname;
  if (Object.keys(pax).length) {
    const records = encodePaxRecords(pax);
    parts.push(encodeUstarHeader({ name: 'PaxHeaders/entry', size: records.length, mtime: 0, type: TYPE.pax }), padded(records));
  }
  if (e.gnuLongName !== undefined) {
    const longName = Buffer.from(`${e.gnuLongName}\u0000`, 'utf8');
    const h = encodeUstarHeader({ name: '././@LongLink', size: longName.length, mtime: 0, type: TYPE.gnuLongName });
    parts.push(h, padded(longName));
  }
  const header = encodeUstarHeader({
    name: fits(e.name) ? e.name : 'long-name-in-pax',
    mode: e.mode ?? (type === TYPE.directory ? 0o755 : 0o644),
    size: data.length,
    mtime: e.mtime ?? 1_767_225_600,
    type,
    linkname: e.linkname !== undefined && fits(e.linkname) ? e.linkname : '',
  });
  if (e.patch) {
    e.patch(header);
    setChecksum(header);
  }
  parts.push(header);
  if (data.length) parts.push(padded(data));
  return Buffer.concat(parts);
}

/** A tar archive of the entries, ending with two zero blocks. */
export function craftTar(entries: CraftEntry[]): Buffer {
  return Buffer.concat([...entries.map(entryBlocks), Buffer.alloc(2 * BLOCK)]);
}

export function craftTarGz(entries: CraftEntry[]): Buffer {
  return gzipSync(craftTar(entries));
}

/** backup.json of an unencrypted Core backup (no recorded digest). */
export function backupJsonBytes(): Buffer {
  const json = buildCoreBackupJson({
    date: '2026-01-01T00:00:00.000000+00:00',
    name: 't',
    haVersion: '2026.9.0',
    instanceId: '0'.repeat(32),
    withAutomaticSettings: false,
    excludeDatabase: false,
    protected: false,
  });
  return Buffer.from(serializeBackupJson(json), 'utf8');
}

export interface OuterMember {
  name: string;
  data: Buffer;
  pax?: Record<string, string>;
  patch?: (header: Buffer) => void;
}

/** An outer tar of the members (regular files). */
export function craftOuterTar(members: OuterMember[]): Buffer {
  return craftTar(members.map((m) => ({ name: m.name, data: m.data, pax: m.pax, patch: m.patch })));
}

/** A backup file: `./backup.json`, then the given inner archives as outer members. */
export function craftBackupWithMembers(members: OuterMember[]): Buffer {
  return craftOuterTar([{ name: './backup.json', data: backupJsonBytes() }, ...members]);
}

/** A backup file whose `homeassistant.tar.gz` is the gzip-compressed tar of `entries`. */
export function craftBackup(entries: CraftEntry[]): Buffer {
  return craftBackupWithMembers([{ name: 'homeassistant.tar.gz', data: craftTarGz(entries) }]);
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` pseudo-random bytes from a seed (reproducible, incompressible). */
export function seededBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  const next = prng(seed);
  for (let i = 0; i + 4 <= length; i += 4) out.writeUInt32LE(Math.floor(next() * 4294967296), i);
  for (let i = length - (length % 4); i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/** A copy of `buf` with the byte at `offset` inverted. */
export function flipByte(buf: Buffer, offset: number): Buffer {
  const out = Buffer.from(buf);
  out[offset] = (out[offset] as number) ^ 0xff;
  return out;
}

/** One PAX `x` header (block and padded records) with no member after it. */
export function paxHeaderBlocks(records: Record<string, string>, type: string = TYPE.pax): Buffer {
  const data = encodePaxRecords(records);
  return Buffer.concat([encodeUstarHeader({ name: 'PaxHeaders/entry', size: data.length, mtime: 0, type }), padded(data)]);
}

/** `count` PAX headers in a row, then `then` (the member they would belong to), as a stream. */
export async function* stackedPaxHeaders(count: number, then: Buffer): AsyncGenerator<Buffer> {
  const one = paxHeaderBlocks({ comment: 'x' });
  const batch = Buffer.concat(Array.from({ length: 1024 }, () => one));
  for (let left = count; left > 0; left -= 1024) yield left >= 1024 ? batch : batch.subarray(0, left * one.length);
  yield then;
}

/**
 * Writes a backup file whose outer tar holds `count` PAX headers in a row before `./backup.json`
 * (streamed to disk, about 1 KiB per header).
 */
export async function writeStackedPaxBackup(path: string, count: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    for await (const chunk of stackedPaxHeaders(count, craftBackupWithMembers([]))) await fh.write(chunk);
  } finally {
    await fh.close();
  }
}

/**
 * Writes a backup file whose `./backup.json` member announces `size` bytes (a sparse file: the
 * bytes are zeros that take no disk space), then a small inner archive.
 */
export async function writeHugeBackupJson(path: string, size: number): Promise<void> {
  const header = encodeUstarHeader({ name: './backup.json', size, mtime: 0, type: TYPE.file });
  const inner = craftOuterTar([{ name: 'homeassistant.tar.gz', data: craftTarGz([{ name: 'data/a', data: 'x' }]) }]);
  const fh = await open(path, 'w');
  try {
    await fh.write(header, 0, header.length, 0);
    await fh.write(inner, 0, inner.length, BLOCK + padTo512(size));
  } finally {
    await fh.close();
  }
}
