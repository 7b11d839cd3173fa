// Random-access byte sources: a backup file opened for positional reads, and helpers that read a
// byte range as a stream of large chunks (small chunks make file reads far slower), one read ahead,
// optionally into a small ring of reused buffers.

import { open, type FileHandle } from 'node:fs/promises';
import { ArchiveTruncatedError } from '../util/errors.js';
import { passOwnership } from '../util/release-buffer.js';

export const READ_CHUNK = 1 << 20;

export interface ByteSource {
  readonly size: number;
  /** Reads exactly `length` bytes at `position` (fewer only at the end of the source) into a fresh buffer. */
  read(position: number, length: number): Promise<Buffer>;
  /** Reads up to `length` bytes at `position` into `target` (fewer only at the end); the count read. */
  readInto?(target: Buffer, position: number, length: number): Promise<number>;
  close(): Promise<void>;
}

export class FileByteSource implements ByteSource {
  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<FileByteSource> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      return new FileByteSource(fh, st.size, path);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async read(position: number, length: number): Promise<Buffer> {
    const want = Math.max(0, Math.min(length, this.size - position));
    const buf = Buffer.allocUnsafe(want);
    const done = await this.readInto(buf, position, want);
    return done === want ? passOwnership(buf) : buf.subarray(0, done);
  }

  async readInto(target: Buffer, position: number, length: number): Promise<number> {
    const want = Math.max(0, Math.min(length, target.length, this.size - position));
    let done = 0;
    while (done < want) {
      const { bytesRead } = await this.fh.read(target, done, want - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Buffers a reusing readRange cycles through: one being read, one with the caller, one spare. */
const RING = 3;

/**
 * Streams `length` bytes from `position` in chunks of up to `chunk` bytes, with the next read
 * already under way while the caller works on the current chunk.
 *
 * With `reuse`, chunks are read into a ring of three buffers: a chunk stays valid only until the
 * caller takes the one after the next, so only a caller that copies or consumes each chunk at
 * once (a decipher) may ask for it. That saves allocating and faulting in a fresh buffer per chunk.
 */
export async function* readRange(
  src: ByteSource,
  position: number,
  length: number,
  chunk = READ_CHUNK,
  opts: { reuse?: boolean } = {},
): AsyncGenerator<Buffer> {
  let pos = position;
  const end = position + length;
  const ring: Buffer[] = [];
  let turn = 0;
  const readInto = src.readInto?.bind(src);
  const read = (at: number, want: number): Promise<Buffer> => {
    if (!opts.reuse || !readInto) return src.read(at, want);
    const slot = turn++ % RING;
    const buf = (ring[slot] ??= Buffer.allocUnsafeSlow(chunk));
    return readInto(buf, at, want).then((n) => buf.subarray(0, n));
  };
  const readNext = (): Promise<Buffer> | null => {
    if (pos >= end) return null;
    const p = read(pos, Math.min(chunk, end - pos));
    p.catch(() => undefined); // observed when awaited; abandoned if the caller stops early
    return p;
  };
  let pending = readNext();
  while (pending) {
    const buf = await pending;
    if (buf.length === 0) throw new ArchiveTruncatedError('The backup file ended early');
    pos += buf.length;
    pending = readNext();
    yield buf;
  }
}

/** A whole file in chunks, read ahead by one; with `reuse`, into a ring of buffers (see readRange). */
export async function* readFileChunks(path: string, opts: { reuse?: boolean; chunk?: number } = {}): AsyncGenerator<Buffer> {
  const src = await FileByteSource.open(path);
  try {
    yield* readRange(src, 0, src.size, opts.chunk ?? READ_CHUNK, { reuse: opts.reuse });
  } finally {
    await src.close();
  }
}
