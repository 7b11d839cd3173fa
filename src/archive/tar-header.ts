// Tar header blocks for the outer archive, encoded and decoded at the byte level: POSIX ustar
// headers, PAX extended headers (`x`, `g`) and GNU long names (`L`, `K`). The outer archive needs
// exact headers that can be rewritten in place once sizes are known; also the header decoding the
// inner tar reader uses.

import { ArchiveCorruptError } from '../util/errors.js';

export const BLOCK = 512;
/** ustar size fields hold at most 11 octal digits: 8 GiB − 1. */
export const USTAR_MAX_SIZE = 0o77777777777;

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

/** Header bytes of a PAX-headed member: `x` block, its data block(s), then the ustar block. */
export function encodePaxMember(fields: UstarFields, pax: Record<string, string>): Buffer {
  const records = encodePaxRecords(pax);
  const paxHeader = encodeUstarHeader({
    name: '././@PaxHeader',
    mode: 0,
    size: records.length,
    mtime: 0,
    type: 'x',
  });
  const paxData = Buffer.alloc(padTo512(records.length));
  records.copy(paxData);
  return Buffer.concat([paxHeader, paxData, encodeUstarHeader(fields)]);
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
