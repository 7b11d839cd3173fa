// libsodium's crypto_secretstream_xchacha20poly1305 on Node's native (OpenSSL) ChaCha20. A message
// is ChaCha20 under the HChaCha20 subkey and the 12-byte nonce (32-bit counter ‖ 64-bit inonce):
// block 0 keys Poly1305, block 1 encrypts a 64-byte tag block (only its first byte is stored),
// blocks 2… the message; the MAC covers tag block ‖ ciphertext ‖ padding ‖ lengths. That is the
// IETF ChaCha20-Poly1305 AEAD except for libsodium's padding of (length mod 16) bytes, so messages
// whose length is a multiple of 8 (all full 1 MiB ones) use the native AEAD and the others
// @noble/ciphers' Poly1305. After each message the MAC is folded into the inonce and the counter
// advances; REKEY (and FINAL, which includes it) rekeys. Byte-identical to libsodium.

import { createCipheriv, createDecipheriv, timingSafeEqual, type Cipher } from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { poly1305, type Poly1305 } from '@noble/ciphers/_poly1305.js';

export const SECRETSTREAM_HEADER_BYTES = 24;
export const SECRETSTREAM_KEY_BYTES = 32;
export const SECRETSTREAM_ABYTES = 17;
export const TAG_MESSAGE = 0;
export const TAG_REKEY = 2;
export const TAG_FINAL = 3;

const MAC_BYTES = 16;
const TAG_BLOCK = 64;
const ZERO_BLOCK = Buffer.alloc(64);

/** A copy of `bytes` as native-endian 32-bit words, as @noble/ciphers' `hchacha` reads them. */
function words(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(Uint8Array.from(bytes).buffer);
}

const SIGMA = words(Buffer.from('expand 32-byte k', 'ascii'));

/** HChaCha20: derives the 32-byte subkey from a key and a 16-byte input. */
export function hchacha20(key: Uint8Array, input: Uint8Array): Buffer {
  if (key.length !== 32 || input.length !== 16) throw new RangeError('HChaCha20 takes a 32-byte key and a 16-byte input');
  const k = words(key);
  const out = new Uint32Array(8);
  hchacha(SIGMA, k, words(input), out);
  k.fill(0);
  return Buffer.from(out.buffer);
}

/** Whether libsodium's MAC padding equals the IETF AEAD's for a message of this length. */
function nativeMacFits(length: number): boolean {
  return length % 8 === 0;
}

/** libsodium's MAC trailer: (length mod 16) zero bytes, then the AD length (0) and 64 + length. */
function finishMac(poly: Poly1305, length: number): Buffer {
  const trailer = Buffer.alloc((length & 0xf) + 16);
  trailer.writeBigUInt64LE(BigInt(TAG_BLOCK + length), trailer.length - 8);
  const tag = poly.update(trailer).digest();
  return Buffer.from(tag.buffer, tag.byteOffset, tag.byteLength);
}

/** The evolving state of one stream (key, counter and inonce), for pushing or pulling. */
export class SecretStreamState {
  private key: Buffer;
  /** counter (32-bit little-endian) ‖ inonce (8 bytes): the IETF nonce of the next message. */
  private readonly nonce = Buffer.alloc(12);

  /** Initialises with a 24-byte stream header, as init_push (with that header) and init_pull do. */
  constructor(key: Uint8Array, header: Uint8Array) {
    if (key.length !== SECRETSTREAM_KEY_BYTES) throw new RangeError('secretstream key must be 32 bytes');
    if (header.length !== SECRETSTREAM_HEADER_BYTES) throw new RangeError('secretstream header must be 24 bytes');
    this.key = hchacha20(key, header.subarray(0, 16));
    this.nonce.writeUInt32LE(1, 0);
    this.nonce.set(header.subarray(16, 24), 4);
  }

  /**
   * Encrypts one message given as consecutive pieces (so callers need not join them): returns
   * tag byte ‖ ciphertext pieces ‖ MAC, as separate buffers in that order.
   */
  push(pieces: readonly Uint8Array[], tag: number): Buffer[] {
    const length = pieces.reduce((n, p) => n + p.length, 0);
    const tagBlock = Buffer.alloc(TAG_BLOCK);
    tagBlock[0] = tag;
    let out: Buffer[];
    let mac: Buffer;
    if (nativeMacFits(length)) {
      const cipher = createCipheriv('chacha20-poly1305', this.key, this.nonce, { authTagLength: MAC_BYTES });
      out = [cipher.update(tagBlock).subarray(0, 1)];
      for (const piece of pieces) if (piece.length) out.push(cipher.update(piece));
      cipher.final();
      mac = cipher.getAuthTag();
    } else {
      const { stream, poly } = this.messageKeys();
      const sealedTag = stream.update(tagBlock);
      poly.update(sealedTag);
      out = [sealedTag.subarray(0, 1)];
      for (const piece of pieces) {
        if (!piece.length) continue;
        const c = stream.update(piece);
        poly.update(c);
        out.push(c);
      }
      mac = finishMac(poly, length);
    }
    out.push(mac);
    this.advance(mac, tag);
    return out;
  }

  /** Decrypts one whole message (17 bytes longer than its plaintext); null when it does not authenticate. */
  pull(sealed: Uint8Array): { message: Buffer; tag: number } | null {
    if (sealed.length < SECRETSTREAM_ABYTES) return null;
    const input = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const mac = input.subarray(input.length - MAC_BYTES);
    const body = input.subarray(1, input.length - MAC_BYTES);
    const { stream, poly } = this.messageKeys();
    // The stored tag byte is the first byte of the encrypted tag block; the rest of that block is
    // keystream (zeros encrypted), which the MAC covers, so it is recomputed here.
    const block = stream.update(ZERO_BLOCK);
    const tag = ((block[0] as number) ^ (input[0] as number)) & 0xff;
    block[0] = input[0] as number;
    let message: Buffer;
    if (nativeMacFits(body.length)) {
      const decipher = createDecipheriv('chacha20-poly1305', this.key, this.nonce, { authTagLength: MAC_BYTES });
      decipher.setAuthTag(mac);
      decipher.update(block);
      message = decipher.update(body);
      try {
        decipher.final();
      } catch {
        return null;
      }
    } else {
      poly.update(block).update(body);
      if (!timingSafeEqual(finishMac(poly, body.length), mac)) return null;
      message = stream.update(body);
    }
    this.advance(mac, tag);
    return { message, tag };
  }

  /**
   * Moves a fresh state to message `index` of a stream with only MESSAGE tags before it (so no
   * rekey happened), given the XOR of the first 8 MAC bytes of the messages before it: the state is
   * the key (unchanged), counter 1 + index and the header's inonce with those MAC bytes folded in.
   */
  seek(index: number, macXor: Uint8Array): void {
    if (!Number.isInteger(index) || index < 0 || index >= 0xffffffff) throw new RangeError('secretstream message index out of range');
    if (this.nonce.readUInt32LE(0) !== 1) throw new Error('only a fresh secretstream state can seek');
    for (let i = 0; i < 8; i++) this.nonce[4 + i] = (this.nonce[4 + i] as number) ^ (macXor[i] as number);
    this.nonce.writeUInt32LE(1 + index, 0);
  }

  /** A ChaCha20 keystream positioned at block 1, and Poly1305 keyed with block 0. */
  private messageKeys(): { stream: Cipher; poly: Poly1305 } {
    const iv = Buffer.alloc(16);
    this.nonce.copy(iv, 4);
    const stream = createCipheriv('chacha20', this.key, iv);
    const poly = poly1305.create(stream.update(ZERO_BLOCK).subarray(0, 32));
    return { stream, poly };
  }

  private advance(mac: Buffer, tag: number): void {
    for (let i = 0; i < 8; i++) this.nonce[4 + i] = (this.nonce[4 + i] as number) ^ (mac[i] as number);
    const counter = (this.nonce.readUInt32LE(0) + 1) >>> 0;
    this.nonce.writeUInt32LE(counter, 0);
    if ((tag & TAG_REKEY) !== 0 || counter === 0) this.rekey();
  }

  /** crypto_secretstream_xchacha20poly1305_rekey: key ‖ inonce are re-encrypted at counter 0. */
  private rekey(): void {
    const iv = Buffer.alloc(16);
    this.nonce.copy(iv, 4);
    const next = createCipheriv('chacha20', this.key, iv).update(Buffer.concat([this.key, this.nonce.subarray(4)]));
    this.key = next.subarray(0, 32);
    next.copy(this.nonce, 4, 32, 40);
    this.nonce.writeUInt32LE(1, 0);
  }
}
