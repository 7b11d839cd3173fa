// A read cursor over a stream of byte chunks: take exact small runs (joined only when they straddle
// chunks), stream or skip long runs as slices of the chunks themselves, and tell a clean end of
// the stream from one inside a run. A slice is valid until its reader asks for the next one; the
// cursor releases each chunk (owned-chunks.ts) once it has moved past it.

import { release } from './owned-chunks.js';

export class ByteCursor {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunk: Buffer = Buffer.alloc(0);
  private offset = 0;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Bytes left in the current chunk. */
  private get available(): number {
    return this.chunk.length - this.offset;
  }

  /** Loads the next non-empty chunk; false at the end of the stream. */
  private async load(): Promise<boolean> {
    while (!this.ended) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      const c = r.value;
      if (c.length === 0) continue;
      release(this.chunk);
      this.chunk = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      this.offset = 0;
      return true;
    }
    return false;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return this.available === 0 && !(await this.load());
  }

  /** Exactly `n` bytes, or null when the stream ends first (then the bytes read are lost). */
  async take(n: number): Promise<Buffer | null> {
    if (this.available >= n) {
      const out = this.chunk.subarray(this.offset, this.offset + n);
      this.offset += n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let have = 0;
    while (have < n) {
      if (this.available === 0 && !(await this.load())) return null;
      const m = Math.min(n - have, this.available);
      this.chunk.copy(out, have, this.offset, this.offset + m);
      this.offset += m;
      have += m;
    }
    return out;
  }

  /** Yields the next `n` bytes as slices of the chunks; returns how many were missing at the end. */
  async *slices(n: number): AsyncGenerator<Buffer, number> {
    let left = n;
    while (left > 0) {
      if (this.available === 0 && !(await this.load())) return left;
      const m = Math.min(left, this.available);
      const out = this.chunk.subarray(this.offset, this.offset + m);
      this.offset += m;
      left -= m;
      yield out;
    }
    return 0;
  }

  /** Skips `n` bytes; returns how many were missing at the end of the stream. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.available === 0 && !(await this.load())) return left;
      const m = Math.min(left, this.available);
      this.offset += m;
      left -= m;
    }
    return 0;
  }

  /** Stops the underlying stream and releases the last chunk. */
  async close(): Promise<void> {
    release(this.chunk);
    if (!this.ended) {
      this.ended = true;
      await this.it.return?.();
    }
  }
}
