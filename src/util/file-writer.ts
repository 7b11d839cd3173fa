// Sequential file writer with bounded write-behind (one write in flight while the next chunk is
// produced), positional patches for headers whose values are known only at the end, and fsync.

import { open, type FileHandle } from 'node:fs/promises';

const COALESCE = 1 << 20;

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
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    this.position += chunk.length;
    if (this.bufferedBytes >= COALESCE) await this.flushBuffered();
  }

  private async flushBuffered(): Promise<void> {
    if (this.bufferedBytes === 0) return;
    const data = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered);
    const at = this.position - this.bufferedBytes;
    this.buffered = [];
    this.bufferedBytes = 0;
    await this.pending; // at most one write in flight
    if (this.failed) throw this.failed;
    this.pending = this.writeAll(data, at).catch((err: unknown) => {
      this.failed = err;
    });
  }

  private async writeAll(data: Buffer, at: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, at + done);
      done += bytesWritten;
    }
  }

  /** Overwrites bytes already written (after all pending writes). */
  async patch(at: number, data: Buffer): Promise<void> {
    await this.flushBuffered();
    await this.pending;
    if (this.failed) throw this.failed;
    await this.writeAll(data, at);
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
