// SHA-256 of a stream computed on a worker thread (sha256-worker.ts), so hashing an upload runs
// beside the upload instead of in its way (on the main thread it costs as much as writing to a fast
// disk). Chunks are copied, in order, into a few buffers that travel to the worker and back and are
// reused, so the copy lands in warm memory; at most MAX_PENDING bytes wait there, so memory stays
// bounded when the worker falls behind.

import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../util/worker-module.js';

const MAX_PENDING = 4 * 1024 * 1024;
/** Size of the reused transfer buffers; a larger chunk gets a buffer of its own size. */
const SLOT = 1024 * 1024;
/** Below this, hashing on the main thread is cheaper than starting a worker. */
const WORKER_FROM = 8 * 1024 * 1024;

export class BackgroundSha256 {
  /** The first chunks, kept until the stream proves long enough to be worth a worker. */
  private head: Buffer[] = [];
  private headBytes = 0;
  private worker: Worker | null = null;
  private pending = 0;
  /** Transfer buffers back from the worker, ready for reuse. */
  private free: ArrayBuffer[] = [];
  private waiters: (() => void)[] = [];
  private failure: unknown = null;
  private digestWaiter: ((hex: string) => void) | null = null;

  private start(): Worker {
    const worker = startWorker(import.meta.url, 'sha256-worker', { resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 16 } });
    worker.unref();
    worker.on('message', (m: { ack?: number; buffer?: ArrayBuffer; digest?: string }) => {
      if (m.ack !== undefined) {
        this.pending -= m.ack;
        if (m.buffer && m.buffer.byteLength === SLOT) this.free.push(m.buffer);
        for (const w of this.waiters.splice(0)) w();
      } else if (m.digest !== undefined) this.digestWaiter?.(m.digest);
    });
    worker.on('error', (err) => {
      this.failure = err;
      for (const w of this.waiters.splice(0)) w();
    });
    return worker;
  }

  /** Adds a chunk; resolves when the worker has room for more. */
  async update(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.worker) {
      if (this.headBytes + chunk.length <= WORKER_FROM) {
        this.head.push(Buffer.from(chunk)); // a copy: the producer may reuse its buffer
        this.headBytes += chunk.length;
        return;
      }
      this.worker = this.start();
      const head = this.head;
      this.head = [];
      for (const c of head) this.post(c);
    }
    while (this.pending > MAX_PENDING && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
    this.post(chunk);
  }

  private post(chunk: Buffer): void {
    for (let at = 0; at < chunk.length; at += SLOT) {
      const piece = chunk.subarray(at, Math.min(chunk.length, at + SLOT));
      const buffer = this.free.pop() ?? new ArrayBuffer(SLOT);
      new Uint8Array(buffer).set(piece);
      this.pending += piece.length;
      (this.worker as Worker).postMessage({ buffer, length: piece.length }, [buffer]);
    }
  }

  async digest(): Promise<string> {
    if (!this.worker) {
      const hash = createHash('sha256');
      for (const c of this.head) hash.update(c);
      return hash.digest('hex');
    }
    const worker = this.worker;
    const hex = await new Promise<string>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.digestWaiter = resolve;
      worker.once('error', reject);
      worker.postMessage(null);
    });
    await worker.terminate();
    return hex;
  }

  /** Stops the worker (after a failed upload). */
  async dispose(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}
