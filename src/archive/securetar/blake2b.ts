// Keyed BLAKE2b with salt and personalisation (RFC 7693 with the BLAKE2 parameter block), as
// libsodium's crypto_generichash_blake2b_salt_personal computes it. SecureTar v3 only hashes a key
// and an empty message, so this small BigInt implementation is plenty fast and keeps libsodium
// out of the main thread.

const MASK = (1n << 64n) - 1n;
const BLOCK = 128;

const IV = [
  0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
] as const;

const rotr = (x: bigint, n: bigint) => ((x >> n) | (x << (64n - n))) & MASK;

function compress(h: bigint[], block: Buffer, counter: number, last: boolean): void {
  const m = Array.from({ length: 16 }, (_, i) => block.readBigUInt64LE(i * 8));
  const v = [...h, ...IV];
  v[12] = (v[12] as bigint) ^ BigInt(counter);
  if (last) v[14] = (v[14] as bigint) ^ MASK;
  const g = (a: number, b: number, c: number, d: number, x: bigint, y: bigint) => {
    v[a] = ((v[a] as bigint) + (v[b] as bigint) + x) & MASK;
    v[d] = rotr((v[d] as bigint) ^ (v[a] as bigint), 32n);
    v[c] = ((v[c] as bigint) + (v[d] as bigint)) & MASK;
    v[b] = rotr((v[b] as bigint) ^ (v[c] as bigint), 24n);
    v[a] = ((v[a] as bigint) + (v[b] as bigint) + y) & MASK;
    v[d] = rotr((v[d] as bigint) ^ (v[a] as bigint), 16n);
    v[c] = ((v[c] as bigint) + (v[d] as bigint)) & MASK;
    v[b] = rotr((v[b] as bigint) ^ (v[c] as bigint), 63n);
  };
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r % 10] as readonly number[];
    const w = (i: number) => m[s[i] as number] as bigint;
    g(0, 4, 8, 12, w(0), w(1));
    g(1, 5, 9, 13, w(2), w(3));
    g(2, 6, 10, 14, w(4), w(5));
    g(3, 7, 11, 15, w(6), w(7));
    g(0, 5, 10, 15, w(8), w(9));
    g(1, 6, 11, 12, w(10), w(11));
    g(2, 7, 8, 13, w(12), w(13));
    g(3, 4, 9, 14, w(14), w(15));
  }
  for (let i = 0; i < 8; i++) h[i] = (h[i] as bigint) ^ (v[i] as bigint) ^ (v[i + 8] as bigint);
}

export interface Blake2bParams {
  /** 1–64 bytes; default 32. */
  outLength?: number;
  /** Up to 64 bytes. */
  key?: Uint8Array;
  /** Exactly 16 bytes when given. */
  salt?: Uint8Array;
  /** Exactly 16 bytes when given. */
  personal?: Uint8Array;
}

/** BLAKE2b of `message` with the given parameters. */
export function blake2b(message: Uint8Array, params: Blake2bParams = {}): Buffer {
  const outLength = params.outLength ?? 32;
  const key = params.key ?? new Uint8Array(0);
  if (outLength < 1 || outLength > 64) throw new RangeError('BLAKE2b output length must be 1–64 bytes');
  if (key.length > 64) throw new RangeError('BLAKE2b key must be at most 64 bytes');
  const paramBlock = Buffer.alloc(64);
  paramBlock[0] = outLength;
  paramBlock[1] = key.length;
  paramBlock[2] = 1; // fanout
  paramBlock[3] = 1; // depth
  for (const [field, offset] of [[params.salt, 32], [params.personal, 48]] as const) {
    if (!field) continue;
    if (field.length !== 16) throw new RangeError('BLAKE2b salt and personalisation must be 16 bytes');
    paramBlock.set(field, offset);
  }
  const h = IV.map((iv, i) => iv ^ paramBlock.readBigUInt64LE(i * 8));

  const data = Buffer.alloc(Math.max(1, Math.ceil(((key.length ? BLOCK : 0) + message.length) / BLOCK)) * BLOCK);
  if (key.length) data.set(key, 0);
  data.set(message, key.length ? BLOCK : 0);
  const total = (key.length ? BLOCK : 0) + message.length;
  const blocks = data.length / BLOCK;
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1;
    compress(h, data.subarray(i * BLOCK, (i + 1) * BLOCK), last ? total : (i + 1) * BLOCK, last);
  }
  const out = Buffer.alloc(64);
  h.forEach((word, i) => out.writeBigUInt64LE(word, i * 8));
  return out.subarray(0, outLength);
}
