// SecureTar framing shared by all versions: the 32-byte common header of v2/v3, version
// detection (magic, or v1 without one), plaintext-size formulas, and how a password is given.

import { createHash } from 'node:crypto';
import { ArchiveCorruptError, UnsupportedSecureTarVersion } from '../../util/errors.js';

export const MAGIC = Buffer.from('SecureTar', 'ascii');
export const COMMON_HEADER_SIZE = 32;
export const V2_HEADER_SIZE = 48;
export const V3_HEADER_SIZE = 136;
export const V3_MESSAGE_SIZE = 1 << 20;
export const V3_MESSAGE_OVERHEAD = 17;

export type SecureTarVersion = 1 | 2 | 3;

/**
 * A secret for decrypting or encrypting. A password is a Unicode string; legacy v1/v2 archives
 * may have been made with a raw 16-byte AES key instead.
 */
export type Secret = string | { readonly aesKey: Uint8Array };

export function hasMagic(first: Uint8Array): boolean {
  return first.length >= MAGIC.length && MAGIC.equals(first.subarray(0, MAGIC.length));
}

export interface CommonHeader {
  version: 2 | 3;
  plaintextSize: number;
}

/** Parses the common header; `first` must hold at least 32 bytes. */
export function parseCommonHeader(first: Uint8Array): CommonHeader {
  if (!hasMagic(first)) throw new ArchiveCorruptError('Not a SecureTar v2/v3 header');
  if (first.length < COMMON_HEADER_SIZE) throw new ArchiveCorruptError('SecureTar header is truncated');
  const version = first[9];
  if (version !== 2 && version !== 3) {
    throw new UnsupportedSecureTarVersion(`Unsupported SecureTar version ${version}`);
  }
  for (let i = 10; i < 16; i++) {
    if (first[i] !== 0) throw new ArchiveCorruptError('SecureTar header has non-zero reserved bytes');
  }
  const size = Buffer.from(first.buffer, first.byteOffset, first.byteLength).readBigUInt64BE(16);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArchiveCorruptError('SecureTar plaintext size is implausible');
  return { version, plaintextSize: Number(size) };
}

export function buildCommonHeader(version: 2 | 3, plaintextSize: number): Buffer {
  const buf = Buffer.alloc(COMMON_HEADER_SIZE);
  MAGIC.copy(buf, 0);
  buf[9] = version;
  buf.writeBigUInt64BE(BigInt(plaintextSize), 16);
  return buf;
}

/** Writes P into an existing header buffer (offset 16). */
export function patchPlaintextSize(header: Buffer, plaintextSize: number): void {
  header.writeBigUInt64BE(BigInt(plaintextSize), 16);
}

export function v3MessageCount(plaintextSize: number): number {
  return Math.max(1, Math.ceil(plaintextSize / V3_MESSAGE_SIZE));
}

/** Size of an encrypted member (header + ciphertext) for plaintext size P. */
export function encryptedMemberSize(version: 2 | 3, plaintextSize: number): number {
  if (version === 2) return V2_HEADER_SIZE + 16 * (Math.floor(plaintextSize / 16) + 1);
  return V3_HEADER_SIZE + plaintextSize + V3_MESSAGE_OVERHEAD * v3MessageCount(plaintextSize);
}

/** SHA-256 applied 100 times, first 16 bytes: SecureTar's v1/v2 password → key and key+salt → IV. */
export function sha256x100(input: Uint8Array): Buffer {
  let value = Buffer.from(input);
  for (let i = 0; i < 100; i++) value = createHash('sha256').update(value).digest();
  return value.subarray(0, 16);
}

export function aesKeyFromSecret(secret: Secret): Buffer {
  if (typeof secret === 'string') return sha256x100(Buffer.from(secret, 'utf8'));
  if (secret.aesKey.length !== 16) throw new RangeError('a raw SecureTar key must be 16 bytes');
  return Buffer.from(secret.aesKey);
}

export function aesIv(key: Uint8Array, salt: Uint8Array): Buffer {
  return sha256x100(Buffer.concat([key, salt]));
}

/** Heuristic plaintext check used for v1/v2 password validation: gzip magic or a ustar header. */
export function looksLikeGzipOrTar(plain: Uint8Array): boolean {
  if (plain.length >= 3 && plain[0] === 0x1f && plain[1] === 0x8b && plain[2] === 0x08) return true;
  return plain.length >= 262 && Buffer.from(plain.subarray(257, 262)).toString('binary') === 'ustar';
}
