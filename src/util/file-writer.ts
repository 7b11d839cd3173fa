// Sequential file writer with bounded write-behind (one write in flight while the next chunk is
// produced), positional patches for headers whose values are known only at the end, and fsync.
// Chunks are gathered into writes of about 1 MiB with writev, without joining them.

import { open, type FileHandle } from 'node:fs/promises';

const COALESCE = 1 << 20;
/** Well below IOV_MAX (1024 on Linux). */
const MAX_CHUNKS = 256;

export class FileWriter {
  private pending: Promise<unknown> = Promise.resolve();
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private failed: unknown = null;
  /** Bytes accepted so far (the position of the next write). */
  position = 0;

  private constructor(private readonly fh: FileHandle) {}

  /** Creates the file; fails if it exists (`wx`), so a writer never clobbers another file. */
  static async create(path: string, mode = 0o644): Promise<FileWriter> {
    return new FileWriter(await open(path, 'wx', mode));
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    if (chunk.length === 0) return;
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    this.position += chunk.length;
    if (this.bufferedBytes >= COALESCE || this.buffered.length >= MAX_CHUNKS) await this.flushBuffered();
  }

  private async flushBuffered(): Promise<void> {
    if (this.bufferedBytes === 0) return;
    const data = this.buffered;
    const at = this.position - this.bufferedBytes;
    this.buffered = [];
    this.bufferedBytes = 0;
    await this.pending; // at most one write in flight
    if (this.failed) throw this.failed;
    this.pending = this.writeAll(data, at).catch((err: unknown) => {
      this.failed = err;
    });
  }

  private async writeAll(data: Buffer[], at: number): Promise<void> {
    let chunks = data;
    let position = at;
    while (chunks.length) {
      const { bytesWritten } = await this.fh.writev(chunks, position);
      position += bytesWritten;
      chunks = afterBytes(chunks, bytesWritten);
    }
  }

  /** Overwrites bytes already written (after all pending writes). */
  async patch(at: number, data: Buffer): Promise<void> {
    await this.flushBuffered();
    await this.pending;
    if (this.failed) throw this.failed;
    await this.writeAll([data], at);
  }

  /** Flushes, fsyncs and closes. */
  async finish(): Promise<void> {
    try {
      await this.flushBuffered();
      await this.pending;
      if (this.failed) throw this.failed;
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
  }

  /** Closes without syncing (after a failure). */
  async abandon(): Promise<void> {
    await this.pending.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
  }
}

/** The chunks that remain after the first `n` bytes (a partial write). */
function afterBytes(chunks: Buffer[], n: number): Buffer[] {
  let skip = n;
  let i = 0;
  while (i < chunks.length && skip >= (chunks[i] as Buffer).length) skip -= (chunks[i++] as Buffer).length;
  const rest = chunks.slice(i);
  if (skip > 0 && rest.length) rest[0] = (rest[0] as Buffer).subarray(skip);
  return rest;
}
