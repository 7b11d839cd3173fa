// Argon2id (version 0x13) for SecureTar v3's root key, through the native argon2 addon: it runs on
// libuv's thread pool, so the event loop keeps serving while a key is derived, and its working
// memory is freed as soon as the key is out.

import { argon2id, hash } from 'argon2';

/** The raw Argon2id hash of `password` (`mem` in bytes, as libsodium's crypto_pwhash takes it). */
export async function argon2idRaw(password: Uint8Array, salt: Uint8Array, ops: number, mem: number, length = 32): Promise<Buffer> {
  return hash(Buffer.from(password), {
    type: argon2id,
    version: 0x13,
    raw: true,
    salt: Buffer.from(salt),
    timeCost: ops,
    memoryCost: mem / 1024,
    parallelism: 1,
    hashLength: length,
  });
}
