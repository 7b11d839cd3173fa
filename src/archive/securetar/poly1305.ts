// Poly1305 one-time authenticator (RFC 8439) in plain TypeScript: ten 13-bit limbs multiplied in
// exact double arithmetic, the final reduction in BigInt. Used only where Node's native
// ChaCha20-Poly1305 cannot produce libsodium's secretstream MAC (messages whose length is not a
// multiple of 8), i.e. at most the last message of a stream, so a few MB/s would do.

const LIMBS = 10;
const LIMB_BITS = 13;
const LIMB_MASK = 0x1fff;
const LIMB_BASE = 1 << LIMB_BITS;
const P = (1n << 130n) - 5n;
const CLAMP = 0x0ffffffc0ffffffc0ffffffc0fffffffn;

function le128(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  return v;
}

export class Poly1305 {
  private readonly r = new Float64Array(LIMBS);
  private readonly h = new Float64Array(LIMBS);
  private readonly d = new Float64Array(LIMBS);
  private readonly s: bigint;
  private readonly pending = new Uint8Array(16);
  private pendingLength = 0;

  /** `key`: 32 bytes, r ‖ s. */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('Poly1305 key must be 32 bytes');
    const r = le128(key.subarray(0, 16)) & CLAMP;
    for (let i = 0; i < LIMBS; i++) this.r[i] = Number((r >> BigInt(i * LIMB_BITS)) & BigInt(LIMB_MASK));
    this.s = le128(key.subarray(16, 32));
  }

  update(data: Uint8Array): this {
    let pos = 0;
    if (this.pendingLength) {
      const take = Math.min(16 - this.pendingLength, data.length);
      this.pending.set(data.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      pos = take;
      if (this.pendingLength < 16) return this;
      this.block(this.pending, 0, 1);
      this.pendingLength = 0;
    }
    for (; pos + 16 <= data.length; pos += 16) this.block(data, pos, 1);
    if (pos < data.length) {
      this.pending.set(data.subarray(pos), 0);
      this.pendingLength = data.length - pos;
    }
    return this;
  }

  /** The 16-byte tag. The instance must not be used afterwards. */
  digest(): Buffer {
    if (this.pendingLength) {
      this.pending.fill(0, this.pendingLength);
      this.pending[this.pendingLength] = 1;
      this.block(this.pending, 0, 0);
    }
    let h = 0n;
    for (let i = LIMBS - 1; i >= 0; i--) h = (h << BigInt(LIMB_BITS)) + BigInt(this.h[i] as number);
    const tag = ((h % P) + this.s) & ((1n << 128n) - 1n);
    const out = Buffer.alloc(16);
    out.writeBigUInt64LE(tag & 0xffffffffffffffffn, 0);
    out.writeBigUInt64LE(tag >> 64n, 8);
    return out;
  }

  /** h = (h + block + hibit·2^128) · r  (mod 2^130 − 5), limbs kept near 13 bits. */
  private block(m: Uint8Array, at: number, hibit: number): void {
    const { h, r, d } = this;
    for (let i = 0; i < LIMBS; i++) {
      const bit = i * LIMB_BITS;
      const byte = at + (bit >> 3);
      const end = at + 16;
      const word =
        (m[byte] as number) |
        (byte + 1 < end ? (m[byte + 1] as number) << 8 : 0) |
        (byte + 2 < end ? (m[byte + 2] as number) << 16 : 0);
      h[i] = (h[i] as number) + ((word >>> (bit & 7)) & LIMB_MASK);
    }
    h[9] = (h[9] as number) + hibit * (1 << 11);
    let carry = 0;
    for (let i = 0; i < LIMBS; i++) {
      let acc = carry;
      for (let j = 0; j < LIMBS; j++) {
        acc += (h[j] as number) * (j <= i ? (r[i - j] as number) : 5 * (r[i + LIMBS - j] as number));
      }
      carry = Math.floor(acc / LIMB_BASE);
      d[i] = acc - carry * LIMB_BASE;
    }
    carry = carry * 5 + (d[0] as number);
    d[0] = carry % LIMB_BASE;
    d[1] = (d[1] as number) + Math.floor(carry / LIMB_BASE);
    h.set(d);
  }
}
