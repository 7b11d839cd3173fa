// Byte-stream helpers over async iterables: fixed-size re-chunking, exact-length limits, and
// collecting small streams. Chunks are copied only when a boundary falls inside them; a chunk that
// was copied whole is released (owned-chunks.ts).

import { release } from './owned-chunks.js';

/**
 * Groups a stream into runs of exactly `size` bytes (the last may be shorter; none when the input
 * is empty), each run given as the consecutive pieces that make it up — nothing is copied.
 */
export async function* pieceGroups(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer[]> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const raw of source) {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    while (chunk.length > 0) {
      const take = Math.min(size - have, chunk.length);
      parts.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      have += take;
      chunk = chunk.subarray(take);
      if (have === size) {
        yield parts;
        parts = [];
        have = 0;
      }
    }
  }
  if (have > 0) yield parts;
}

/** Yields chunks of exactly `size` bytes (the last may be shorter; none when the input is empty). */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  for await (const parts of pieceGroups(source, size)) {
    if (parts.length === 1) {
      yield parts[0] as Buffer;
      continue;
    }
    const joined = Buffer.concat(parts);
    for (const part of parts) release(part);
    yield joined;
  }
}

/** Collects a whole (small) stream into one buffer. */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(parts);
}

/** Passes through at most `limit` bytes, then stops reading the source. */
export async function* take(source: AsyncIterable<Uint8Array>, limit: number): AsyncGenerator<Buffer> {
  let left = limit;
  if (left <= 0) return;
  for await (const raw of source) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (chunk.length >= left) {
      yield chunk.subarray(0, left);
      return;
    }
    left -= chunk.length;
    yield chunk;
  }
}

/** Calls `observe` on every chunk as it passes. */
export async function* tap(
  source: AsyncIterable<Buffer>,
  observe: (chunk: Buffer) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    observe(chunk);
    yield chunk;
  }
}

export async function* fromBuffers(...buffers: Buffer[]): AsyncGenerator<Buffer> {
  for (const b of buffers) yield b;
}

/**
 * Reads at least `n` bytes (fewer only if the source is shorter) and returns them together with
 * an iterable of the whole stream, the peeked bytes included.
 */
export async function peek(
  source: AsyncIterable<Buffer>,
  n: number,
): Promise<{ head: Buffer; stream: AsyncGenerator<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let have = 0;
  let done = false;
  while (have < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    parts.push(r.value);
    have += r.value.length;
  }
  const head = Buffer.concat(parts, have);
  for (const part of parts) release(part);
  async function* stream(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }
  return { head, stream: stream() };
}
