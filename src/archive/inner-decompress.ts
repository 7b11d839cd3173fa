// Turns an inner archive's plaintext (gzip stream or plain tar) into tar bytes. The strict path
// checks gzip's CRC-32 and length; the lenient path (SecureTar v1, whose legacy padding corrupts
// the gzip trailer) inflates the deflate data and ignores whatever follows it.

import type { TransformOptions } from 'node:stream';
import { createGunzip, createInflateRaw, type ZlibOptions } from 'node:zlib';
import { ArchiveCorruptError, ArchiveTruncatedError } from '../util/errors.js';
import { peek } from '../util/chunks.js';
import { throughTransform } from '../util/streams.js';

/**
 * Output chunks of 1 MiB (fewer thread-pool round trips), and room for a few of them on either side
 * of the inflater, so that decryption, inflating and the consumer run at the same time.
 */
const INFLATE: ZlibOptions & TransformOptions = {
  chunkSize: 1 << 20,
  readableHighWaterMark: 1 << 20,
  writableHighWaterMark: 1 << 20,
};

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

function zlibError(what: string) {
  return (err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'Z_BUF_ERROR') return new ArchiveTruncatedError(`${what} ends early (the archive is truncated)`);
    if (e?.code?.startsWith?.('Z_') || e?.code === 'ERR_ZLIB_INITIALIZATION_FAILED') {
      return new ArchiveCorruptError(`${what} is corrupt: ${e.message}`);
    }
    return err;
  };
}

/** Length of a gzip member header (RFC 1952), or -1 when `head` is too short to tell. */
export function gzipHeaderLength(head: Uint8Array): number {
  if (head.length < 10) return -1;
  if (head[2] !== 8) throw new ArchiveCorruptError('gzip data uses an unknown compression method');
  const flags = head[3] as number;
  let pos = 10;
  if (flags & 4) {
    if (head.length < pos + 2) return -1;
    pos += 2 + ((head[pos] as number) | ((head[pos + 1] as number) << 8));
  }
  for (const flag of [8, 16]) {
    if (flags & flag) {
      while (pos < head.length && head[pos] !== 0) pos++;
      if (pos >= head.length) return -1;
      pos++;
    }
  }
  if (flags & 2) pos += 2;
  return pos <= head.length ? pos : -1;
}

export interface InnerTarOptions {
  /** Inflate the deflate data and ignore what follows it (SecureTar v1). */
  lenient?: boolean;
}

/**
 * Decompresses when the plaintext is gzip; passes a plain tar through. Owned plaintext chunks
 * (decrypted or freshly read) are released once inflated; the inflater's buffers are handed over.
 */
export async function* innerTarBytes(plain: AsyncIterable<Buffer>, opts: InnerTarOptions = {}): AsyncGenerator<Buffer> {
  const { head, stream } = await peek(plain, 64 * 1024);
  if (!isGzip(head)) {
    yield* stream;
    return;
  }
  const through = { mapError: zlibError('The compressed archive') };
  if (!opts.lenient) {
    yield* throughTransform(stream, createGunzip(INFLATE), through);
    return;
  }
  const headerLength = gzipHeaderLength(head);
  if (headerLength < 0) throw new ArchiveTruncatedError('The compressed archive ends inside its gzip header');
  async function* body(): AsyncGenerator<Buffer> {
    let skip = headerLength;
    for await (const chunk of stream) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      yield skip ? chunk.subarray(skip) : chunk;
      skip = 0;
    }
  }
  yield* throughTransform(body(), createInflateRaw(INFLATE), through);
}
