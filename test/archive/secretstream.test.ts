// The secretstream, HChaCha20 and Argon2id used by SecureTar v3 agree with libsodium byte for byte.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { argon2idRaw } from '../../src/archive/securetar/argon2id.js';
import { SecretStreamState, TAG_FINAL, TAG_MESSAGE, TAG_REKEY, hchacha20 } from '../../src/archive/securetar/secretstream.js';

type Sodium = typeof import('libsodium-wrappers-sumo');
let sodium: Sodium;

beforeAll(async () => {
  sodium = createRequire(import.meta.url)('libsodium-wrappers-sumo') as Sodium;
  await sodium.ready;
});

describe('secretstream', () => {
  it("derives the same Argon2id keys as libsodium's crypto_pwhash, including non-ASCII and empty passwords", async () => {
    const cases = [
      { password: 'correct horse', ops: 8, mem: 16 << 20 },
      { password: 'pässwörd ✓', ops: 2, mem: 1 << 20 },
      { password: '', ops: 3, mem: 64 << 10 },
    ];
    for (const { password, ops, mem } of cases) {
      const salt = randomBytes(16);
      const bytes = Buffer.from(password, 'utf8');
      const expected = Buffer.from(sodium.crypto_pwhash(32, bytes, salt, ops, mem, sodium.crypto_pwhash_ALG_ARGON2ID13));
      expect((await argon2idRaw(bytes, salt, ops, mem)).toString('hex')).toBe(expected.toString('hex'));
    }
  });

  it('HChaCha20 matches libsodium, also on unaligned views', () => {
    const key = randomBytes(33).subarray(1);
    const input = randomBytes(17).subarray(1);
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
