// SecureTar v3: Argon2id root key (once per archive), keyed-BLAKE2b validation and per-member file
// keys, and the XChaCha20-Poly1305 secretstream body in 1 MiB messages with FINAL on the last.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2.js';
import { ArchiveCorruptError, ArchiveTruncatedError, IncorrectPasswordError } from '../../util/errors.js';
import { rechunk } from '../../util/chunks.js';
import {
  V3_HEADER_SIZE,
  V3_MESSAGE_OVERHEAD,
  V3_MESSAGE_SIZE,
  buildCommonHeader,
  v3MessageCount,
} from './securetar-header.js';
import { SECRETSTREAM_HEADER_BYTES, SecretStreamState, TAG_FINAL, TAG_MESSAGE } from './secretstream.js';
import { argon2idRaw } from './argon2id.js';
import { handOver, release } from '../../util/owned-chunks.js';

const PERSONAL = Buffer.concat([Buffer.from('SecureTarv3', 'ascii'), Buffer.alloc(5)]);
const OPSLIMIT = 8;
const MEMLIMIT = 16 * 1024 * 1024;
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

/** Root keys whose derivation was begun before anything asked for them (deriveAhead), by salt. */
const ahead = new Map<string, { password: string; key: Promise<Buffer> }>();
/** Derivations begun ahead and not yet taken, at most (each holds a key and, while it runs, 16 MiB). */
const MAX_AHEAD = 2;

/**
 * Begins deriving the root key of `salt` for `password` now, on the thread pool, so that it is
 * ready (or nearly) when the archive is opened: a restore starts it as soon as it knows the file,
 * while the rest of the program is still loading. The first argon2id() call for the same salt and
 * password takes it; a failure is that call's to report. Returns the derivation, or null when one
 * for the salt is under way already (or too many are).
 */
export function deriveAhead(password: string, salt: Uint8Array): Promise<Buffer> | null {
  const id = Buffer.from(salt).toString('hex');
  if (ahead.has(id) || ahead.size >= MAX_AHEAD) return null;
  const key = derive(password, salt);
  key.catch(() => undefined); // not taken yet is not unhandled
  ahead.set(id, { password, key });
  return key;
}

export function argon2id(password: string, salt: Uint8Array): Promise<Buffer> {
  const id = Buffer.from(salt).toString('hex');
  const early = ahead.get(id);
  if (early) {
    ahead.delete(id);
    if (early.password === password) return early.key;
  }
  return derive(password, salt);
}

/** SecureTar v3's root key derivation itself. */
function derive(password: string, salt: Uint8Array): Promise<Buffer> {
  return argon2idRaw(Buffer.from(password, 'utf8'), salt, OPSLIMIT, MEMLIMIT);
}

function keyedBlake2b(rootKey: Uint8Array, salt: Uint8Array): Buffer {
  const hash = blake2b(new Uint8Array(0), { dkLen: 32, key: rootKey, salt, personalization: PERSONAL });
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength);
}

/** Derives a root context from a password; salts are random unless given (known-answer tests). */
export async function createV3RootContext(
  password: string,
  salts?: { rootSalt: Buffer; validationSalt: Buffer },
): Promise<V3RootContext> {
  const rootSalt = salts?.rootSalt ?? randomBytes(16);
  const validationSalt = salts?.validationSalt ?? randomBytes(16);
  const rootKey = await argon2id(password, rootSalt);
  return { rootSalt, validationSalt, rootKey, validationKey: keyedBlake2b(rootKey, validationSalt) };
}

export async function newV3MemberParams(): Promise<V3MemberParams> {
  return { derivationSalt: randomBytes(16), streamHeader: randomBytes(SECRETSTREAM_HEADER_BYTES) };
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
  const rootKey = await argon2id(password, fields.rootSalt);
  const check = keyedBlake2b(rootKey, fields.validationSalt);
  if (fields.validationKey.length !== check.length || !timingSafeEqual(check, fields.validationKey)) {
    throw new IncorrectPasswordError();
  }
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

function fileKey(ctx: V3RootContext, derivationSalt: Uint8Array): Buffer {
  return keyedBlake2b(ctx.rootKey, derivationSalt);
}

/**
 * Encrypts a plaintext stream into secretstream messages (the header is written separately). The
 * plaintext is copied into a message buffer as it arrives (and each chunk released once copied);
 * each output chunk is fresh and handed over to its consumer.
 */
export async function* encryptV3(
  plain: AsyncIterable<Buffer>,
  ctx: V3RootContext,
  member: V3MemberParams,
): AsyncGenerator<Buffer> {
  const state = new SecretStreamState(fileKey(ctx, member.derivationSalt), member.streamHeader);
  const message = Buffer.allocUnsafeSlow(V3_MESSAGE_SIZE);
  let filled = 0;
  for await (const chunk of plain) {
    for (let at = 0; at < chunk.length; ) {
      // A full message is sealed only when more input shows it is not the last (tagged FINAL).
      if (filled === V3_MESSAGE_SIZE) {
        yield* state.push([message], TAG_MESSAGE).map((c) => handOver(c));
        filled = 0;
      }
      const n = Math.min(V3_MESSAGE_SIZE - filled, chunk.length - at);
      chunk.copy(message, filled, at, at + n);
      filled += n;
      at += n;
    }
    release(chunk);
  }
  yield* state.push([message.subarray(0, filled)], TAG_FINAL).map((c) => handOver(c));
}

/** Where decryption starts when not at the beginning: `body` then begins with this message. */
export interface V3MessageStart {
  message: number;
  /** XOR of the first 8 MAC bytes of every message before it (the last 16 bytes of each are its MAC). */
  macXor: Uint8Array;
}

/**
 * Decrypts a v3 body of known plaintext size (from a message in the middle, with `from`). Enforces the exact message layout: every message but
 * the last tagged MESSAGE, the last tagged FINAL, each authenticated. Bytes past the end are ignored.
 * Reading the body in chunks of V3_CIPHER_MESSAGE_SIZE avoids joining messages. Each ciphertext
 * chunk is released once decrypted; each message is fresh and handed over to its consumer.
 */
export async function* decryptV3(
  body: AsyncIterable<Buffer>,
  ctx: V3RootContext,
  derivationSalt: Uint8Array,
  streamHeader: Uint8Array,
  plaintextSize: number,
  from?: V3MessageStart,
): AsyncGenerator<Buffer> {
  const state = new SecretStreamState(fileKey(ctx, derivationSalt), streamHeader);
  const count = v3MessageCount(plaintextSize);
  let index = 0;
  if (from && from.message > 0) {
    if (from.message >= count) throw new RangeError('SecureTar v3: start message is past the end');
    state.seek(from.message, from.macXor);
    index = from.message;
  }
  for await (const cipher of rechunk(body, CIPHER_MESSAGE_SIZE)) {
    if (index >= count) break;
    const last = index === count - 1;
    const expected = last ? plaintextSize - (count - 1) * V3_MESSAGE_SIZE + V3_MESSAGE_OVERHEAD : CIPHER_MESSAGE_SIZE;
    if (cipher.length < expected) {
      throw new ArchiveTruncatedError('SecureTar v3 ciphertext is too short (the archive is truncated)');
    }
    const result = state.pull(cipher.length === expected ? cipher : cipher.subarray(0, expected));
    release(cipher);
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
    if (result.message.length) yield handOver(result.message);
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
