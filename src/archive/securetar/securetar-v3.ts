// SecureTar v3: Argon2id root key (once per archive), keyed-BLAKE2b validation and per-member file
// keys, and the XChaCha20-Poly1305 secretstream body in 1 MiB messages with FINAL on the last.

import { randomBytes } from 'node:crypto';
import { ArchiveCorruptError, ArchiveTruncatedError, IncorrectPasswordError } from '../errors.js';
import { rechunk } from '../../util/chunks.js';
import {
  V3_HEADER_SIZE,
  V3_MESSAGE_OVERHEAD,
  V3_MESSAGE_SIZE,
  buildCommonHeader,
  v3MessageCount,
} from './securetar-header.js';
import { argon2idInWorker, loadSodium, type Sodium } from './sodium.js';

const PERSONAL = Buffer.concat([Buffer.from('SecureTarv3', 'ascii'), Buffer.alloc(5)]);
const OPSLIMIT = 8;
const MEMLIMIT = 16 * 1024 * 1024;
const TAG_MESSAGE = 0;
const TAG_FINAL = 3;
const CIPHER_MESSAGE_SIZE = V3_MESSAGE_SIZE + V3_MESSAGE_OVERHEAD;

/** The part of a v3 header shared by every member of one archive. */
export interface V3RootContext {
  rootSalt: Buffer;
  validationSalt: Buffer;
  validationKey: Buffer;
  rootKey: Buffer;
}

/** The per-member part: derivation salt and secretstream header. */
export interface V3MemberParams {
  derivationSalt: Buffer;
  streamHeader: Buffer;
}

export function argon2id(password: string, salt: Uint8Array): Promise<Buffer> {
  return argon2idInWorker(Buffer.from(password, 'utf8'), salt, OPSLIMIT, MEMLIMIT);
}

function keyedBlake2b(sodium: Sodium, rootKey: Uint8Array, salt: Uint8Array): Buffer {
  return Buffer.from(sodium.crypto_generichash_blake2b_salt_personal(32, rootKey, salt, PERSONAL));
}

/** Derives a root context from a password; salts are random unless given (known-answer tests). */
export async function createV3RootContext(
  password: string,
  salts?: { rootSalt: Buffer; validationSalt: Buffer },
): Promise<V3RootContext> {
  const sodium = await loadSodium();
  const rootSalt = salts?.rootSalt ?? randomBytes(16);
  const validationSalt = salts?.validationSalt ?? randomBytes(16);
  const rootKey = await argon2id(password, rootSalt);
  return { rootSalt, validationSalt, rootKey, validationKey: keyedBlake2b(sodium, rootKey, validationSalt) };
}

export async function newV3MemberParams(): Promise<V3MemberParams> {
  const sodium = await loadSodium();
  return {
    derivationSalt: randomBytes(16),
    streamHeader: Buffer.from(randomBytes(sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES)),
  };
}

export function v3Header(ctx: V3RootContext, member: V3MemberParams, plaintextSize: number): Buffer {
  return Buffer.concat([
    buildCommonHeader(3, plaintextSize),
    ctx.rootSalt,
    ctx.validationSalt,
    ctx.validationKey,
    member.derivationSalt,
    member.streamHeader,
  ]);
}

/** The v3-specific fields of a header (bytes 32…135). */
export interface V3HeaderFields {
  rootSalt: Buffer;
  validationSalt: Buffer;
  validationKey: Buffer;
  derivationSalt: Buffer;
  streamHeader: Buffer;
}

export function parseV3Fields(header: Buffer): V3HeaderFields {
  if (header.length < V3_HEADER_SIZE) throw new ArchiveTruncatedError('SecureTar v3 header is truncated');
  return {
    rootSalt: header.subarray(32, 48),
    validationSalt: header.subarray(48, 64),
    validationKey: header.subarray(64, 96),
    derivationSalt: header.subarray(96, 112),
    streamHeader: header.subarray(112, 136),
  };
}

/**
 * Recovers the root context of an existing archive from its header and a password, or throws
 * IncorrectPasswordError — before any data is decrypted.
 */
export async function openV3RootContext(fields: V3HeaderFields, password: string): Promise<V3RootContext> {
  const sodium = await loadSodium();
  const rootKey = await argon2id(password, fields.rootSalt);
  const check = keyedBlake2b(sodium, rootKey, fields.validationSalt);
  if (!sodium.memcmp(check, fields.validationKey)) throw new IncorrectPasswordError();
  return {
    rootSalt: Buffer.from(fields.rootSalt),
    validationSalt: Buffer.from(fields.validationSalt),
    validationKey: Buffer.from(fields.validationKey),
    rootKey,
  };
}

/** True when a member's header belongs to this root context (same salts and validation key). */
export function sameRootContext(ctx: V3RootContext, fields: V3HeaderFields): boolean {
  return (
    ctx.rootSalt.equals(fields.rootSalt) &&
    ctx.validationSalt.equals(fields.validationSalt) &&
    ctx.validationKey.equals(fields.validationKey)
  );
}

function fileKey(sodium: Sodium, ctx: V3RootContext, derivationSalt: Uint8Array): Buffer {
  return keyedBlake2b(sodium, ctx.rootKey, derivationSalt);
}

/** Encrypts a plaintext stream into secretstream messages (the header is written separately). */
export async function* encryptV3(
  plain: AsyncIterable<Buffer>,
  ctx: V3RootContext,
  member: V3MemberParams,
): AsyncGenerator<Buffer> {
  const sodium = await loadSodium();
  const key = fileKey(sodium, ctx, member.derivationSalt);
  // A pull state initialised with our header is the same state push would create with it.
  const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(member.streamHeader, key);
  let pending: Buffer | null = null;
  for await (const msg of rechunk(plain, V3_MESSAGE_SIZE)) {
    if (pending) yield Buffer.from(sodium.crypto_secretstream_xchacha20poly1305_push(state, pending, null, TAG_MESSAGE));
    pending = msg;
  }
  yield Buffer.from(
    sodium.crypto_secretstream_xchacha20poly1305_push(state, pending ?? Buffer.alloc(0), null, TAG_FINAL),
  );
}

/**
 * Decrypts a v3 body of known plaintext size. Enforces the exact message layout: every message but
 * the last tagged MESSAGE, the last tagged FINAL, each authenticated. Bytes past the end are ignored.
 */
export async function* decryptV3(
  body: AsyncIterable<Buffer>,
  ctx: V3RootContext,
  derivationSalt: Uint8Array,
  streamHeader: Uint8Array,
  plaintextSize: number,
): AsyncGenerator<Buffer> {
  const sodium = await loadSodium();
  const key = fileKey(sodium, ctx, derivationSalt);
  const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(streamHeader, key);
  const count = v3MessageCount(plaintextSize);
  let index = 0;
  for await (const cipher of rechunk(body, CIPHER_MESSAGE_SIZE)) {
    if (index >= count) break;
    const last = index === count - 1;
    const expected = last ? plaintextSize - (count - 1) * V3_MESSAGE_SIZE + V3_MESSAGE_OVERHEAD : CIPHER_MESSAGE_SIZE;
    if (cipher.length < expected) {
      throw new ArchiveTruncatedError('SecureTar v3 ciphertext is too short (the archive is truncated)');
    }
    const input = cipher.length === expected ? cipher : cipher.subarray(0, expected);
    let result: { message: Uint8Array; tag: number } | false;
    try {
      result = sodium.crypto_secretstream_xchacha20poly1305_pull(state, input, null) as typeof result;
    } catch {
      result = false;
    }
    if (!result) {
      throw new ArchiveCorruptError(
        `SecureTar v3 authentication failed in message ${index + 1} of ${count} (corrupt or truncated data)`,
      );
    }
    if (result.tag === TAG_FINAL && !last) {
      throw new ArchiveCorruptError('SecureTar v3: unexpected final tag before the end of the stream');
    }
    if (last && result.tag !== TAG_FINAL) throw new ArchiveCorruptError('SecureTar v3: missing final tag');
    index++;
    if (result.message.length) yield Buffer.from(result.message.buffer, result.message.byteOffset, result.message.length);
    if (last) break;
  }
  if (index < count) {
    throw new ArchiveTruncatedError(
      index === 0
        ? 'SecureTar v3 ciphertext is too short: the encrypted body is missing'
        : 'SecureTar v3 ciphertext is too short (the archive is truncated)',
    );
  }
}

export const V3_CIPHER_MESSAGE_SIZE = CIPHER_MESSAGE_SIZE;
