// The native secretstream, Poly1305 and BLAKE2b used by SecureTar v3 agree with libsodium byte for byte.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { blake2b } from '../../src/archive/securetar/blake2b.js';
import { Poly1305 } from '../../src/archive/securetar/poly1305.js';
import { SecretStreamState, TAG_FINAL, TAG_MESSAGE, TAG_REKEY, hchacha20 } from '../../src/archive/securetar/secretstream.js';

type Sodium = typeof import('libsodium-wrappers-sumo');
let sodium: Sodium;

beforeAll(async () => {
  sodium = createRequire(import.meta.url)('libsodium-wrappers-sumo') as Sodium;
  await sodium.ready;
});

describe('BLAKE2b', () => {
  it.each([0, 1, 127, 128, 129, 300])('matches libsodium keyed (%i-byte message)', (n) => {
    const key = randomBytes(32);
    const message = randomBytes(n);
    const expected = Buffer.from(sodium.crypto_generichash(32, message, key));
    expect(blake2b(message, { outLength: 32, key }).equals(expected)).toBe(true);
  });

  it('matches libsodium keyed with salt and personalisation (as SecureTar v3 uses it)', () => {
    const key = randomBytes(32);
    const salt = randomBytes(16);
    const personal = randomBytes(16);
    const expected = Buffer.from(sodium.crypto_generichash_blake2b_salt_personal(32, key, salt, personal));
    expect(blake2b(new Uint8Array(0), { key, salt, personal }).equals(expected)).toBe(true);
  });

  it('matches libsodium without a key, at full length', () => {
    const message = randomBytes(200);
    expect(blake2b(message, { outLength: 64 }).equals(Buffer.from(sodium.crypto_generichash(64, message, null)))).toBe(true);
  });
});

describe('Poly1305', () => {
  it.each([0, 1, 15, 16, 17, 33, 1000])('matches libsodium crypto_onetimeauth (%i bytes, fed in pieces)', (n) => {
    const key = randomBytes(32);
    const message = randomBytes(n);
    const poly = new Poly1305(key);
    for (let i = 0; i < n; i += 7) poly.update(message.subarray(i, i + 7));
    expect(poly.digest().equals(Buffer.from(sodium.crypto_onetimeauth(message, key)))).toBe(true);
  });

  it('handles the largest limb values (all-ones key and message)', () => {
    const key = Buffer.alloc(32, 0xff);
    const message = Buffer.alloc(4096, 0xff);
    expect(new Poly1305(key).update(message).digest().equals(Buffer.from(sodium.crypto_onetimeauth(message, key)))).toBe(true);
  });
});

describe('secretstream', () => {
  it('HChaCha20 matches libsodium', () => {
    const key = randomBytes(32);
    const input = randomBytes(16);
    expect(hchacha20(key, input).equals(Buffer.from(sodium.crypto_core_hchacha20(input, key, null)))).toBe(true);
  });

  it('pushes exactly what libsodium pushes, across rekeys and split messages', () => {
    const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
    const { state: theirs, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
    const ours = new SecretStreamState(key, header);
    const sizes = [0, 1, 8, 15, 16, 63, 64, 70000, 70001, 1 << 20];
    const tags = sizes.map((_, i) => (i === sizes.length - 1 ? TAG_FINAL : i === 3 ? TAG_REKEY : TAG_MESSAGE));
    for (const [i, tag] of tags.entries()) {
      const message = randomBytes(sizes[i] as number);
      const expected = Buffer.from(sodium.crypto_secretstream_xchacha20poly1305_push(theirs, message, null, tag));
      const split = [message.subarray(0, 10), message.subarray(10)];
      expect(Buffer.concat(ours.push(split, tag)).equals(expected)).toBe(true);
    }
  });

  it('pulls what libsodium pushes and rejects tampering', () => {
    const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
    const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
    const messages = [randomBytes(5000), randomBytes(0), randomBytes(33), randomBytes(4096), randomBytes(7)];
    const tags = [TAG_MESSAGE, TAG_REKEY, TAG_MESSAGE, TAG_MESSAGE, TAG_FINAL];
    const sealed = messages.map((m, i) => Buffer.from(sodium.crypto_secretstream_xchacha20poly1305_push(state, m, null, tags[i] as number)));
    const reader = new SecretStreamState(key, header);
    sealed.forEach((s, i) => {
      const got = reader.pull(s);
      expect(got?.tag).toBe(tags[i]);
      expect(got?.message.equals(messages[i] as Buffer)).toBe(true);
    });

    for (const [index, at] of [[0, 0], [0, 100], [2, 0], [2, 20]] as const) {
      const tampered = Buffer.from(sealed[index] as Buffer);
      tampered[at] = (tampered[at] as number) ^ 1; // the encrypted tag byte is authenticated too
      const fresh = new SecretStreamState(key, header);
      for (let i = 0; i < index; i++) fresh.pull(sealed[i] as Buffer);
      expect(fresh.pull(tampered)).toBeNull();
    }
    expect(new SecretStreamState(key, header).pull(Buffer.alloc(16))).toBeNull();
  });
});
