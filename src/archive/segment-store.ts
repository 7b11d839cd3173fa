// What parallel gzip asks of a segment cache, and the keys it asks by. A segment's key is a SHA-256
// of the bytes read now, with the compression level, so a stored segment is only ever reused for
// exactly the bytes it was compressed from; size and modification time play no part. A segment
// compressed on its own (libdeflate) is keyed by its bytes alone; one compressed after a dictionary
// (zlib, the 32 KiB before it) by its two halves and that dictionary — each half hashed once: a
// segment's second half is the next segment's dictionary, so its digest serves both keys. The two
// kinds of key never meet: each has its own domain.

import { createHash, hash } from 'node:crypto';

/** A segment's deflate data (ending on a byte boundary, not final) and the CRC-32 of its bytes. */
export interface CachedSegment {
  crc: number;
  /** Bytes of input the segment holds. */
  length: number;
  payload: Uint8Array;
}

export interface SegmentStore {
  /** The stored segment for each key, or null (not stored, damaged, or unreadable), in order. */
  getAll(keys: Buffer[]): Promise<(CachedSegment | null)[]>;
  /** Keeps a freshly compressed segment (its payload is copied before this returns a promise). */
  put(key: Buffer, segment: CachedSegment): Promise<void>;
}

const HALF = 32 * 1024;
const KEY_DOMAIN = Buffer.from('lifeboat deflate segment v1\u0000', 'utf8');
const ALONE_DOMAIN = Buffer.from('lifeboat deflate segment alone v1\u0000', 'utf8');
const NO_DICTIONARY = Buffer.alloc(32);

function sha256(bytes: Uint8Array): Buffer {
  return hash('sha256', bytes, 'buffer');
}

/** The key of a segment of `bytes` compressed on its own, without a dictionary, at `level`. */
export function aloneSegmentKey(level: number, bytes: Uint8Array): Buffer {
  const fields = Buffer.alloc(5);
  fields[0] = level;
  fields.writeUInt32LE(bytes.length, 1);
  return createHash('sha256').update(ALONE_DOMAIN).update(fields).update(bytes).digest();
}

export interface SegmentDigests {
  key: Buffer;
  /** Digest of the segment's last 32 KiB when it is a full two halves (the next one's dictionary). */
  tail: Buffer | null;
}

/**
 * The key of a segment of `bytes` compressed at `level` after `dictionary`; `dictionaryDigest`, when
 * known, is the SHA-256 of the dictionary (the previous segment's tail), which spares hashing it again.
 */
export function segmentDigests(level: number, dictionary: Uint8Array, bytes: Uint8Array, dictionaryDigest: Buffer | null): SegmentDigests {
  const dict = dictionary.length === 0 ? NO_DICTIONARY : (dictionaryDigest ?? sha256(dictionary));
  const head = sha256(bytes.subarray(0, HALF));
  const rest = sha256(bytes.subarray(HALF));
  const fields = Buffer.alloc(9);
  fields[0] = level;
  fields.writeUInt32LE(dictionary.length, 1);
  fields.writeUInt32LE(bytes.length, 5);
  const key = createHash('sha256').update(KEY_DOMAIN).update(fields).update(dict).update(head).update(rest).digest();
  return { key, tail: bytes.length === 2 * HALF ? rest : null };
}
