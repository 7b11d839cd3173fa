import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { encryptedMemberSize, parseCommonHeader, aesIv } from '../../src/archive/securetar/securetar-header.js';
import { encryptV2, v2Header, v2Params, decryptAesCbc } from '../../src/archive/securetar/securetar-v2.js';
import {
  argon2id,
  decryptV3,
  encryptV3,
  openV3RootContext,
  parseV3Fields,
  v3Header,
  createV3RootContext,
  newV3MemberParams,
  type V3RootContext,
} from '../../src/archive/securetar/securetar-v3.js';
import { ArchiveCorruptError, ArchiveTruncatedError, IncorrectPasswordError } from '../../src/util/errors.js';
import { collect, fromBuffers } from '../../src/util/chunks.js';
import { release } from '../../src/util/owned-chunks.js';
import { fixture } from '../helpers/paths.js';

const ref = (name: string) => readFile(fixture(`reference-made/${name}`));

// One root context (an Argon2id derivation from a random salt) for the stream tests, as one
// archive's members share theirs; each test still draws its own member parameters, so its file key
// and stream header are its own. The derivation itself has its known-answer tests below.
let root: V3RootContext;
beforeAll(async () => {
  root = await createV3RootContext('pw');
});

describe('SecureTar known answers', () => {
  it('derives the Argon2id known-answer root key', async () => {
    expect((await argon2id('hunter2', Buffer.alloc(16))).toString('hex')).toBe(
      'f6e0e8ee307bb461a82953ff091f594b935f5dd16ec256a6076e3ceb2e4b9abe',
    );
  });

  it.each([
    ['kat_v3.bin', 'kat_plain.txt'],
    ['kat_v3_empty.bin', null],
  ])('reproduces %s byte for byte from its salts and stream header', async (katName, plainName) => {
    const kat = await ref(katName);
    const plain = plainName ? await ref(plainName) : Buffer.alloc(0);
    const fields = parseV3Fields(kat);
    const ctx = await openV3RootContext(fields, 'hunter2');
    expect(ctx.rootKey.toString('hex')).toBe('d0d9eefb7c21757a8fd51278566203dcd716f2961b6e5cdae86e92efd2edfe40');
    expect(ctx.validationKey.toString('hex')).toBe('dee8a4b6f0d11ef22921846fe60ac7cc14f19274baa650413196b09c71ed80c7');
    const member = { derivationSalt: Buffer.from(fields.derivationSalt), streamHeader: Buffer.from(fields.streamHeader) };
    const out = Buffer.concat([v3Header(ctx, member, plain.length), await collect(encryptV3(fromBuffers(plain), ctx, member))]);
    expect(out.equals(kat)).toBe(true);
    expect(out.length).toBe(encryptedMemberSize(3, plain.length));
    const back = await collect(decryptV3(fromBuffers(kat.subarray(136)), ctx, fields.derivationSalt, fields.streamHeader, plain.length));
    expect(back.equals(plain)).toBe(true);
  });

  it.each([
    ['kat_v2.bin', 'kat_plain.txt'],
    ['kat_v2_empty.bin', null],
  ])('reproduces %s byte for byte from its salt', async (katName, plainName) => {
    const kat = await ref(katName);
    const plain = plainName ? await ref(plainName) : Buffer.alloc(0);
    const params = v2Params('hunter2', Buffer.from(kat.subarray(32, 48)));
    expect(params.key.toString('hex')).toBe('85b58a9f4117fd96b75e0922a9a03323');
    expect(aesIv(params.key, params.salt).toString('hex')).toBe('964398854d9e5ba8ff67d29747e89ec3');
    const out = Buffer.concat([v2Header(params, plain.length), await collect(encryptV2(fromBuffers(plain), params))]);
    expect(out.equals(kat)).toBe(true);
    expect(parseCommonHeader(kat).plaintextSize).toBe(plain.length);
    const back = await collect(decryptAesCbc(fromBuffers(kat.subarray(48)), params.key, params.salt, plain.length));
    expect(back.equals(plain)).toBe(true);
  });

  it.each([
    [2, 16, 80],
    [3, 16, 169],
    [2, 0, 64],
    [3, 0, 153],
    [2, 1048576, 1048640],
    [3, 1048576, 1048729],
    [2, 1048577, 1048640],
    [3, 1048577, 1048747],
  ] as const)('v%i member size for P=%i is %i', (version, p, size) => {
    expect(encryptedMemberSize(version, p)).toBe(size);
  });
});

describe('SecureTar v2 streams', () => {
  it.each([0, 15, 16, 32, 1000])('reports a %i-byte plaintext whose last cipher block is cut off as truncated', async (n) => {
    const params = v2Params('pw');
    const key = params.key;
    const body = await collect(encryptV2(fromBuffers(Buffer.alloc(n, 3)), params));
    expect(body.length + 48).toBe(encryptedMemberSize(2, n));
    expect((await collect(decryptAesCbc(fromBuffers(body), key, params.salt, n))).equals(Buffer.alloc(n, 3))).toBe(true);
    // With P a multiple of 16 the last block is pure padding: every plaintext byte is still there.
    await expect(collect(decryptAesCbc(fromBuffers(body.subarray(0, body.length - 16)), key, params.salt, n))).rejects.toBeInstanceOf(
      ArchiveTruncatedError,
    );
  });
});

describe('SecureTar v3 streams', () => {
  const sizes = [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20)];
  it.each(sizes)('round-trips a %i-byte plaintext across 1 MiB message boundaries', async (n) => {
    const ctx = root;
    const member = await newV3MemberParams();
    const plain = Buffer.alloc(n, 7);
    for (let i = 0; i < n; i += 4096) plain[i] = i & 0xff;
    const body = await collect(encryptV3(fromBuffers(plain.subarray(0, n >> 1), plain.subarray(n >> 1)), ctx, member));
    expect(body.length + 136).toBe(encryptedMemberSize(3, n));
    const back = await collect(decryptV3(fromBuffers(body), ctx, member.derivationSalt, member.streamHeader, n));
    expect(back.equals(plain)).toBe(true);
  });

  it('rejects a wrong password before decrypting anything', async () => {
    const kat = await ref('kat_v3.bin');
    await expect(openV3RootContext(parseV3Fields(kat), 'hunter3')).rejects.toBeInstanceOf(IncorrectPasswordError);
  });

  it('detects a flipped ciphertext byte as an authentication failure', async () => {
    const ctx = root;
    const member = await newV3MemberParams();
    const body = await collect(encryptV3(fromBuffers(Buffer.alloc(5000, 1)), ctx, member));
    body[100] = (body[100] as number) ^ 1;
    await expect(
      collect(decryptV3(fromBuffers(body), ctx, member.derivationSalt, member.streamHeader, 5000)),
    ).rejects.toBeInstanceOf(ArchiveCorruptError);
  });

  it('reports a body shorter than the header promises as truncated', async () => {
    const ctx = root;
    const member = await newV3MemberParams();
    const body = await collect(encryptV3(fromBuffers(Buffer.alloc(3 << 20, 1)), ctx, member));
    await expect(
      collect(decryptV3(fromBuffers(body.subarray(0, body.length - 5000)), ctx, member.derivationSalt, member.streamHeader, 3 << 20)),
    ).rejects.toBeInstanceOf(ArchiveTruncatedError);
  });
});

/** 3 MiB of sparse plaintext (three v3 messages) and fresh v3 and v2 keys for it. */
async function threeMiBAndKeys() {
  const plain = Buffer.alloc(3 << 20);
  for (let i = 0; i < plain.length; i += 1000) plain[i] = i & 0xff;
  return { plain, ctx: root, member: await newV3MemberParams(), v2: v2Params('pw') };
}

/** Copies each chunk as it comes, as the file writer does, then releases it (freed if it was handed over). */
async function copyAndRelease(chunks: AsyncIterable<Buffer>): Promise<{ copy: Buffer; freed: number }> {
  const copies: Buffer[] = [];
  let freed = 0;
  for await (const c of chunks) {
    copies.push(Buffer.from(c));
    release(c);
    if (c.length === 0) freed++;
  }
  return { copy: Buffer.concat(copies), freed };
}

describe('encrypted output', () => {
  it('passes ownership of each ciphertext chunk on: freed once copied, the bytes are those of kept output', async () => {
    const { plain, ctx, member, v2 } = await threeMiBAndKeys();
    const twoPieces = () => fromBuffers(plain.subarray(0, 1 << 20), plain.subarray(1 << 20));
    const pairs = [
      [encryptV3(fromBuffers(plain), ctx, member), encryptV3(fromBuffers(plain), ctx, member)],
      [encryptV2(twoPieces(), v2), encryptV2(twoPieces(), v2)],
    ] as const;
    for (const [kept, released] of pairs) {
      const expected = await collect(kept);
      const { copy, freed } = await copyAndRelease(released);
      expect(copy.equals(expected)).toBe(true);
      // The megabyte-sized ciphertext chunks were freed after use; nothing else was cut short.
      expect(freed).toBeGreaterThanOrEqual(2);
    }
  });
});

describe('decrypted output', () => {
  it('passes ownership of each plaintext chunk on, so the consumer that is done with it may free it', async () => {
    const { plain, ctx, member, v2 } = await threeMiBAndKeys();
    const v3Body = await collect(encryptV3(fromBuffers(plain), ctx, member));
    const v2Body = await collect(encryptV2(fromBuffers(plain), v2));
    const outputs = [
      decryptV3(fromBuffers(v3Body), ctx, member.derivationSalt, member.streamHeader, plain.length),
      decryptAesCbc(fromBuffers(v2Body.subarray(0, 1 << 20), v2Body.subarray(1 << 20, 2 << 20), v2Body.subarray(2 << 20)), v2.key, v2.salt, plain.length),
    ];
    for (const output of outputs) {
      const { copy, freed } = await copyAndRelease(output);
      expect(copy.equals(plain)).toBe(true);
      expect(freed).toBeGreaterThanOrEqual(2);
    }
  });
});
