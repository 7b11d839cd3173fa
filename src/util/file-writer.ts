// Sequential file writer with bounded write-behind: chunks are copied into one of two 1 MiB staging
// buffers, and a full buffer is written while the other fills (one write in flight). A chunk is
// used up once copied: callers may reuse it as soon as write() returns, and an owned chunk is
// released (owned-chunks.ts), so no chunk outlives its moment as garbage. Also positional patches
// for headers whose values are known only at the end, and fsync. Every SYNC_EVERY bytes a datasync
// starts in the background (one at a time), so the disk takes the file in as it is written and the
// fsync at the end waits for the last stretch only, not for the whole file.

import { open, type FileHandle } from 'node:fs/promises';
import { release } from './owned-chunks.js';

const STAGE_BYTES = 1 << 20;
/** Bytes written between background datasyncs. */
const SYNC_EVERY = 16 << 20;

/**
 * The mode of every backup file Lifeboat writes (local and folder locations, their temp files,
 * downloads): readable by the user running Lifeboat — and so Home Assistant, run by the same user —
 * only. A backup holds the installation's secrets (secrets.yaml, .storage's tokens), and many are
 * unencrypted (a location set to store them decrypted, `backup download --decrypt`, `archive pack`
 * without a password). Home Assistant writes 0644, relying on encryption; a group bit (0640) would
 * hand them to whatever group the file happens to get, which Lifeboat does not choose.
 */
export const BACKUP_FILE_MODE = 0o600;

export class FileWriter {
  private pending: Promise<unknown> = Promise.resolve();
  private stage = Buffer.allocUnsafeSlow(STAGE_BYTES);
  /** The other staging buffer; it may be in a write until `pending` settles. */
  private spare = Buffer.allocUnsafeSlow(STAGE_BYTES);
  private staged = 0;
  private failed: unknown = null;
  /** The background datasync under way, if any, and the position it was started at. */
  private syncing: Promise<void> | null = null;
  private syncedTo = 0;
  /** Bytes accepted so far (the position of the next write). */
  position = 0;

  private constructor(private readonly fh: FileHandle) {}

  /** Creates the file (private: BACKUP_FILE_MODE); fails if it exists (`wx`), so a writer never clobbers another file. */
  static async create(path: string, mode = BACKUP_FILE_MODE): Promise<FileWriter> {
    return new FileWriter(await open(path, 'wx', mode));
  }

  /** Accepts a chunk; the caller may reuse it once this returns (an owned chunk is released). */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.failed) throw this.failed;
    for (let at = 0; at < chunk.length; ) {
      const n = Math.min(STAGE_BYTES - this.staged, chunk.length - at);
      this.stage.set(chunk.subarray(at, at + n), this.staged);
      this.staged += n;
      this.position += n;
      at += n;
      // Copied whole: the last use of an owned chunk, before a flush may wait.
      if (at === chunk.length) release(chunk);
      if (this.staged === STAGE_BYTES) await this.flushStage();
    }
    if (chunk.length === 0) release(chunk);
  }

  /** Starts writing the staged bytes once the previous write is done, and stages into the spare. */
  private async flushStage(): Promise<void> {
    if (this.staged === 0) return;
    await this.pending; // at most one write in flight; afterwards the spare is free
    if (this.failed) throw this.failed;
    const full = this.stage.subarray(0, this.staged);
    const at = this.position - this.staged;
    [this.stage, this.spare] = [this.spare, this.stage];
    this.staged = 0;
    this.pending = this.writeAll(full, at).then(
      () => this.syncBehind(at + full.length),
      (err: unknown) => {
        this.failed = err;
      },
    );
  }

  /** Starts a datasync of what is written so far when SYNC_EVERY more bytes have come since the last. */
  private syncBehind(written: number): void {
    if (this.syncing || written - this.syncedTo < SYNC_EVERY) return;
    this.syncedTo = written;
    this.syncing = this.fh.datasync().then(
      () => {
        this.syncing = null;
      },
      (err: unknown) => {
        this.failed = err;
        this.syncing = null;
      },
    );
  }

  private async writeAll(data: Buffer, at: number): Promise<void> {
    for (let done = 0; done < data.length; ) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, at + done);
      done += bytesWritten;
    }
  }

  /** Overwrites bytes already written (after all pending writes). */
  async patch(at: number, data: Buffer): Promise<void> {
    await this.flushStage();
    await this.pending;
    if (this.failed) throw this.failed;
    await this.writeAll(data, at);
  }

  /** Flushes, fsyncs and closes. */
  async finish(): Promise<void> {
    try {
      await this.flushStage();
      await this.pending;
      await this.syncing;
      if (this.failed) throw this.failed;
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
  }

  /** Closes without syncing (after a failure). */
  async abandon(): Promise<void> {
    await this.pending.catch(() => undefined);
    await this.syncing;
    await this.fh.close().catch(() => undefined);
  }
}
