// Tar headers at the byte level, for both archives (the outer backup and the inner `data/` tar):
// POSIX ustar headers, PAX extended headers (`x`, `g`) and GNU long names (`L`, `K`). One encoder
// (ustar, with a PAX header before it when a value does not fit), one name sanitiser for the ustar
// field, and one state machine that both readers feed header blocks to: extended headers collect
// their values, and the member header after them comes out with those values applied.

import { ArchiveCorruptError } from '../util/errors.js';
import { checkLimit, type ExtendedHeaderLimits } from './archive-limits.js';

export const BLOCK = 512;
/** ustar size fields hold at most 11 octal digits: 8 GiB − 1. */
export const USTAR_MAX_SIZE = 0o77777777777;
/** ustar mtime fields: 11 octal digits of seconds (the year 2242). */
export const USTAR_MAX_TIME = 0o77777777777;
/** ustar uid and gid fields: 7 octal digits. */
export const USTAR_MAX_ID = 0o7777777;

export type TarTypeFlag = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | 'x' | 'g' | 'L' | 'K' | string;

export interface UstarFields {
  name: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size: number;
  /** Whole seconds since the epoch (fractions go into a PAX record). */
  mtime: number;
  type: TarTypeFlag;
  linkname?: string;
  uname?: string;
  gname?: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

function writeString(buf: Buffer, text: string, offset: number, length: number): boolean {
  const bytes = enc.encode(text);
  if (bytes.length > length) return false;
  buf.set(bytes, offset);
  return true;
}

/** Python's itn(): `digits-1` octal digits then NUL. */
function writeOctal(buf: Buffer, value: number, offset: number, length: number): void {
  const text = Math.floor(value).toString(8).padStart(length - 1, '0');
  if (text.length > length - 1) throw new RangeError(`value ${value} does not fit a ${length}-byte tar field`);
  buf.write(text, offset, 'ascii');
  buf[offset + length - 1] = 0;
}

function checksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return sum;
}

/** A ustar header block. Names must fit the ustar fields (use a PAX record otherwise). */
export function encodeUstarHeader(f: UstarFields): Buffer {
  const buf = Buffer.alloc(BLOCK);
  if (!writeString(buf, f.name, 0, 100)) throw new RangeError(`tar name too long for ustar: ${f.name}`);
  writeOctal(buf, f.mode ?? 0o644, 100, 8);
  writeOctal(buf, f.uid ?? 0, 108, 8);
  writeOctal(buf, f.gid ?? 0, 116, 8);
  writeOctal(buf, Math.min(f.size, USTAR_MAX_SIZE), 124, 12);
  writeOctal(buf, f.mtime, 136, 12);
  buf.fill(0x20, 148, 156);
  buf.write(f.type, 156, 'ascii');
  writeString(buf, f.linkname ?? '', 157, 100);
  buf.write('ustar\u000000', 257, 'binary');
  writeString(buf, f.uname ?? '', 265, 32);
  writeString(buf, f.gname ?? '', 297, 32);
  writeOctal(buf, 0, 329, 8);
  writeOctal(buf, 0, 337, 8);
  buf.write(checksum(buf).toString(8).padStart(6, '0') + '\u0000', 148, 'ascii');
  return buf;
}

/** PAX records `<len> key=value\n`, where len counts the whole record including itself. */
export function encodePaxRecords(records: Record<string, string>): Buffer {
  let out = '';
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    const bodyLen = Buffer.byteLength(body);
    let len = bodyLen + 1;
    while (len !== bodyLen + String(len).length) len = bodyLen + String(len).length;
    out += `${len}${body}`;
  }
  return Buffer.from(out, 'utf8');
}

export function decodePaxRecords(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    let sp = pos;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = Number.parseInt(Buffer.from(data.subarray(pos, sp)).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) {
      if (data.subarray(pos).every((b) => b === 0)) break;
      throw new ArchiveCorruptError('Corrupt PAX header record in a tar archive');
    }
    const rec = dec.decode(data.subarray(sp + 1, pos + len - 1));
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** A name for the ustar field: printable ASCII only (others become `_`), at most `max` bytes. */
export function ustarName(name: string, max = 100): string {
  return name.replace(/[^\x20-\x7e]/g, '_').slice(0, max);
}

/** Whether a name fits the ustar field as it is. */
export function fitsUstar(text: string, max = 100): boolean {
  return /^[\x20-\x7e]*$/.test(text) && text.length <= max;
}

/**
 * Header bytes of a member: the ustar block, preceded — when `pax` has records — by a PAX `x`
 * block (named and dated by `paxHeader`) and its data.
 */
export function encodeHeader(fields: UstarFields, pax: Record<string, string>, paxHeader: Pick<UstarFields, 'name' | 'mode' | 'mtime'>): Buffer {
  const ustar = encodeUstarHeader(fields);
  if (Object.keys(pax).length === 0) return ustar;
  const records = encodePaxRecords(pax);
  const out = Buffer.alloc(BLOCK + padTo512(records.length) + BLOCK);
  encodeUstarHeader({ ...paxHeader, size: records.length, type: 'x' }).copy(out, 0);
  records.copy(out, BLOCK);
  ustar.copy(out, BLOCK + padTo512(records.length));
  return out;
}

export function padTo512(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

export interface DecodedHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: TarTypeFlag;
  linkname: string;
  uname: string;
  gname: string;
}

function cstr(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && block[end] !== 0) end++;
  return dec.decode(block.subarray(offset, end));
}

function parseNumeric(block: Uint8Array, offset: number, length: number): number {
  const first = block[offset] as number;
  if (first & 0x80) {
    // GNU base-256: big-endian binary with the top bit set.
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + (block[offset + i] as number);
    return value;
  }
  const text = cstr(block, offset, length).replace(/[ \u0000]+$/g, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArchiveCorruptError('Corrupt tar header: bad numeric field');
  return Number.parseInt(text, 8);
}

function parseNumericOrNaN(block: Uint8Array, offset: number, length: number): number {
  try {
    return parseNumeric(block, offset, length);
  } catch {
    return Number.NaN;
  }
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Decodes one header block; throws ArchiveCorruptError when the checksum is wrong or a number is
 * unreadable — except, with `lenientMtime`, the mtime, which is then NaN.
 */
export function decodeHeader(block: Uint8Array, lenientMtime = false): DecodedHeader {
  const stored = parseNumeric(block, 148, 8);
  const sum = checksum(block);
  // Some old writers summed signed bytes.
  let signedSum = 0;
  for (let i = 0; i < BLOCK; i++) signedSum += i >= 148 && i < 156 ? 0x20 : ((block[i] as number) << 24) >> 24;
  if (stored !== sum && stored !== signedSum) throw new ArchiveCorruptError('Corrupt tar header: checksum mismatch');
  let name = cstr(block, 0, 100);
  const magic = Buffer.from(block.subarray(257, 263)).toString('binary');
  if (magic === 'ustar\u0000' || magic === 'ustar ') {
    const prefix = magic === 'ustar\u0000' ? cstr(block, 345, 155) : '';
    if (prefix) name = `${prefix}/${name}`;
  }
  const typeByte = block[156] as number;
  return {
    name,
    mode: parseNumeric(block, 100, 8),
    uid: parseNumeric(block, 108, 8),
    gid: parseNumeric(block, 116, 8),
    size: parseNumeric(block, 124, 12),
    mtime: lenientMtime ? parseNumericOrNaN(block, 136, 12) : parseNumeric(block, 136, 12),
    type: typeByte === 0 ? '0' : String.fromCharCode(typeByte),
    linkname: cstr(block, 157, 100),
    uname: cstr(block, 265, 32),
    gname: cstr(block, 297, 32),
  };
}

/** A member header with the extended headers before it applied. */
export interface TarMemberHeader {
  /** The path, from PAX, a GNU long name, or the header (with its ustar prefix). */
  name: string;
  type: TarTypeFlag;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch, fractional when PAX gives a fraction; NaN when unreadable. */
  mtime: number;
  /** The PAX mtime as written (nanosecond precision), if there is one. */
  paxMtime: string | undefined;
  linkname: string;
}

/** What a header block asks of the reader next. */
export type HeaderStep = { kind: 'extended'; size: number } | { kind: 'member'; header: TarMemberHeader };

export interface TarHeaderOptions {
  /** Names the archive in messages, e.g. "the outer tar". */
  where: string;
  /** An unreadable mtime does not fail the header (it comes out as NaN). */
  lenientMtime?: boolean;
  /** How many extended headers, and how many of their bytes, are believed. */
  limits: ExtendedHeaderLimits;
}

/** A header block that is not a tar header (its checksum or a number field is wrong). */
export class BadHeaderBlock extends ArchiveCorruptError {}

function paxInteger(text: string, what: string, where: string): number {
  if (!/^\d+$/.test(text.trim())) throw new ArchiveCorruptError(`Corrupt PAX ${what} record in ${where}: ${JSON.stringify(text.slice(0, 40))}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new ArchiveCorruptError(`Implausible PAX ${what} record in ${where}`);
  return n;
}

function cString(data: Uint8Array): string {
  const end = data.indexOf(0);
  return dec.decode(end === -1 ? data : data.subarray(0, end));
}

/**
 * The header state machine of both tar readers. Give it each non-zero header block (`block`); an
 * extended header asks for its data (`extended`, exactly `size` bytes, read before the reader moves
 * past them), and the next member header comes out with what they said: PAX records (`x` for the
 * next member, `g` for all that follow) over GNU long names over the header's own fields.
 */
export class TarHeaders {
  private global: Record<string, string> = {};
  private local: Record<string, string> = {};
  private longName: string | null = null;
  private longLink: string | null = null;
  private awaiting: DecodedHeader | null = null;
  private inRun = false;
  /** Extended headers and their bytes: before the coming member, in the archive, global records. */
  private entryCount = 0;
  private entryBytes = 0;
  private archiveCount = 0;
  private archiveBytes = 0;
  private globalBytes = 0;

  constructor(private readonly opts: TarHeaderOptions) {}

  /** True between an extended header and the member it belongs to. */
  get pending(): boolean {
    return this.inRun;
  }

  /** Decodes a header block (BadHeaderBlock when its checksum or a number is wrong). */
  block(block: Uint8Array): HeaderStep {
    if (this.awaiting) throw new Error('extended header data was not given');
    let h: DecodedHeader;
    try {
      h = decodeHeader(block, this.opts.lenientMtime ?? false);
    } catch (err) {
      throw new BadHeaderBlock((err as Error).message);
    }
    if (h.type === 'x' || h.type === 'g' || h.type === 'L' || h.type === 'K') {
      this.countExtended(h);
      this.awaiting = h;
      this.inRun = true;
      return { kind: 'extended', size: h.size };
    }
    const records = { ...this.global, ...this.local };
    const size = records.size !== undefined ? paxInteger(records.size, 'size', this.opts.where) : h.size;
    const paxMtime = records.mtime;
    const fromPax = paxMtime !== undefined ? Number(paxMtime) : Number.NaN;
    const header: TarMemberHeader = {
      name: records.path ?? this.longName ?? h.name,
      type: h.type,
      mode: h.mode,
      uid: records.uid !== undefined ? paxInteger(records.uid, 'uid', this.opts.where) : h.uid,
      gid: records.gid !== undefined ? paxInteger(records.gid, 'gid', this.opts.where) : h.gid,
      size,
      mtime: Number.isFinite(fromPax) ? fromPax : h.mtime,
      paxMtime,
      linkname: records.linkpath ?? this.longLink ?? h.linkname,
    };
    this.local = {};
    this.longName = null;
    this.longLink = null;
    this.inRun = false;
    this.entryCount = 0;
    this.entryBytes = 0;
    return { kind: 'member', header };
  }

  /** Checks an extended header against the limits before its data is read. */
  private countExtended(h: DecodedHeader): void {
    const { limits, where } = this.opts;
    checkLimit(h.size, limits.maxOne, 'the size of one extended header (bytes)', where);
    checkLimit(++this.entryCount, limits.maxPerEntry, 'the number of extended headers before one member', where);
    checkLimit((this.entryBytes += h.size), limits.maxBytesPerEntry, 'the bytes of extended headers before one member', where);
    checkLimit(++this.archiveCount, limits.maxPerArchive, 'the number of extended headers', where);
    checkLimit((this.archiveBytes += h.size), limits.maxBytesPerArchive, 'the bytes of extended headers', where);
    if (h.type === 'g') checkLimit((this.globalBytes += h.size), limits.maxGlobalBytes, 'the bytes of global PAX headers', where);
  }

  /** The data of the extended header just decoded. */
  extended(data: Uint8Array): void {
    const h = this.awaiting;
    if (!h) throw new Error('no extended header is waiting for its data');
    this.awaiting = null;
    if (h.type === 'x') Object.assign(this.local, decodePaxRecords(data));
    else if (h.type === 'g') Object.assign(this.global, decodePaxRecords(data));
    else if (h.type === 'L') this.longName = cString(data);
    else this.longLink = cString(data);
  }
}
