// SecureTar v2: AES-128-CBC with a SHA-256×100 key, a per-member salt and PKCS#7 padding. Also the
// v1 reader, which is v2's cipher without a header and with the legacy padding quirks.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ArchiveTruncatedError, IncorrectPasswordError } from '../../util/errors.js';
import {
  V2_HEADER_SIZE,
  aesIv,
  aesKeyFromSecret,
  buildCommonHeader,
  looksLikeGzipOrTar,
  type Secret,
} from './securetar-header.js';
import { handOver, release } from '../../util/owned-chunks.js';

export interface V2Params {
  key: Buffer;
  salt: Buffer;
}

export function v2Params(secret: Secret, salt: Buffer = randomBytes(16)): V2Params {
  return { key: aesKeyFromSecret(secret), salt };
}

/** The 48-byte v2 header for plaintext size P. */
export function v2Header(params: V2Params, plaintextSize: number): Buffer {
  return Buffer.concat([buildCommonHeader(2, plaintextSize), params.salt]);
}

/**
 * Encrypts a plaintext stream (the header is written separately, since P may come last). Each
 * plaintext chunk is released once encrypted; each output chunk is fresh and handed over.
 */
export async function* encryptV2(plain: AsyncIterable<Buffer>, params: V2Params): AsyncGenerator<Buffer> {
  const cipher = createCipheriv('aes-128-cbc', params.key, aesIv(params.key, params.salt));
  for await (const chunk of plain) {
    const out = cipher.update(chunk);
    release(chunk);
    if (out.length) yield handOver(out);
  }
  yield cipher.final();
}

/**
 * Decrypts an AES-CBC body without removing padding. With `plaintextSize` the output is cut to
 * exactly P bytes (v2); without it everything is returned (v1, whose padding is irregular). Each
 * ciphertext chunk is released once decrypted; each output chunk is fresh and handed over.
 */
export async function* decryptAesCbc(
  body: AsyncIterable<Buffer>,
  key: Buffer,
  salt: Buffer,
  plaintextSize?: number,
): AsyncGenerator<Buffer> {
  const decipher = createDecipheriv('aes-128-cbc', key, aesIv(key, salt));
  decipher.setAutoPadding(false);
  let left = plaintextSize ?? Number.POSITIVE_INFINITY;
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (left <= 0) {
      release(chunk);
      continue;
    }
    const whole = decipher.update(chunk);
    release(chunk);
    const out = whole.length > left ? whole.subarray(0, left) : whole;
    left -= out.length;
    if (out.length) yield out === whole ? handOver(out) : out;
  }
  if (seen % 16 !== 0) throw new ArchiveTruncatedError('AES ciphertext length is not a multiple of 16 (truncated)');
  const tail = decipher.final();
  if (tail.length && left > 0) yield tail.subarray(0, Math.min(left, tail.length));
  if (plaintextSize !== undefined && left > 0) {
    throw new ArchiveTruncatedError(`SecureTar v2 ciphertext is too short: ${left} bytes of plaintext missing`);
  }
  // v2 always ends with 1–16 padding bytes: a body cut at the last block is truncated even when
  // that block held nothing but padding.
  if (plaintextSize !== undefined && seen < 16 * (Math.floor(plaintextSize / 16) + 1)) {
    throw new ArchiveTruncatedError('SecureTar v2 ciphertext is too short: the final padding block is missing');
  }
}

/**
 * Decrypts AES-CBC ciphertext that starts in the middle of a body: `iv` is the ciphertext block
 * before it (CBC needs nothing else), `left` the plaintext bytes wanted at most. No padding is
 * checked: the caller stops long before the end, or cut the range to the plaintext size.
 */
export async function* decryptAesCbcFrom(body: AsyncIterable<Buffer>, key: Buffer, iv: Buffer, left: number): AsyncGenerator<Buffer> {
  const decipher = createDecipheriv('aes-128-cbc', key, iv);
  decipher.setAutoPadding(false);
  for await (const chunk of body) {
    if (left <= 0) return;
    const whole = decipher.update(chunk);
    release(chunk);
    const out = whole.length > left ? whole.subarray(0, left) : whole;
    left -= out.length;
    if (out.length) yield out === whole ? handOver(out) : out;
  }
  if (left > 0) throw new ArchiveTruncatedError(`SecureTar v2 ciphertext is too short: ${left} bytes of plaintext missing`);
}

/** v1/v2 password check: decrypt the first 512 plaintext bytes and look for gzip or tar. */
export function checkAesPassword(firstCipherBlocks: Buffer, key: Buffer, salt: Buffer): void {
  const decipher = createDecipheriv('aes-128-cbc', key, aesIv(key, salt));
  decipher.setAutoPadding(false);
  const usable = firstCipherBlocks.subarray(0, Math.min(512, firstCipherBlocks.length - (firstCipherBlocks.length % 16)));
  const plain = decipher.update(usable);
  if (!looksLikeGzipOrTar(plain)) {
    throw new IncorrectPasswordError('The password provided is incorrect (the data is not gzip or tar).');
  }
}

export const V2_BODY_OFFSET = V2_HEADER_SIZE;
