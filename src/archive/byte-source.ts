// Random-access byte sources: a backup file opened for positional reads, and helpers that read a
// byte range as a stream of large chunks (small chunks make file reads far slower), one read ahead.
// Each chunk read is fresh and handed over to whoever uses it up (owned-chunks.ts).

import { open, type FileHandle } from 'node:fs/promises';
import { ArchiveTruncatedError } from '../util/errors.js';
import { handOver } from '../util/owned-chunks.js';

export const READ_CHUNK = 1 << 20;

export interface ByteSource {
  readonly size: number;
  /** Reads exactly `length` bytes at `position` (fewer only at the end of the source) into a fresh buffer. */
  read(position: number, length: number): Promise<Buffer>;
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
    return done === want ? handOver(buf) : buf.subarray(0, done);
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

/**
 * Streams `length` bytes from `position` in chunks of up to `chunk` bytes, with the next read
 * already under way while the caller works on the current chunk.
 */
export async function* readRange(src: ByteSource, position: number, length: number, chunk = READ_CHUNK): AsyncGenerator<Buffer> {
  let pos = position;
  const end = position + length;
  const readNext = (): Promise<Buffer> | null => {
    if (pos >= end) return null;
    const p = src.read(pos, Math.min(chunk, end - pos));
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

/** A whole file in chunks, read ahead by one. */
export async function* readFileChunks(path: string, opts: { chunk?: number } = {}): AsyncGenerator<Buffer> {
  const src = await FileByteSource.open(path);
  try {
    yield* readRange(src, 0, src.size, opts.chunk ?? READ_CHUNK);
  } finally {
    await src.close();
  }
}
