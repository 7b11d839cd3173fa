// SHA-256 of a stream computed on a worker thread, so hashing an upload runs beside the upload
// instead of in its way (on the main thread it costs as much as writing to a fast disk). Chunks
// are copied to the worker in order; at most MAX_PENDING bytes wait there, so memory stays bounded
// when the worker falls behind.

import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

const MAX_PENDING = 4 * 1024 * 1024;
/** Below this, hashing on the main thread is cheaper than starting a worker. */
const WORKER_FROM = 8 * 1024 * 1024;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
parentPort.on('message', (m) => {
  if (m === null) parentPort.postMessage({ digest: hash.digest('hex') });
  else { hash.update(new Uint8Array(m)); parentPort.postMessage({ ack: m.byteLength }); }
});
`;

export class BackgroundSha256 {
  /** The first chunks, kept until the stream proves long enough to be worth a worker. */
  private head: Buffer[] = [];
  private headBytes = 0;
  private worker: Worker | null = null;
  private pending = 0;
  private waiters: (() => void)[] = [];
  private failure: unknown = null;
  private digestWaiter: ((hex: string) => void) | null = null;

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 16 } });
    worker.unref();
    worker.on('message', (m: { ack?: number; digest?: string }) => {
      if (m.ack !== undefined) {
        this.pending -= m.ack;
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
        this.head.push(chunk);
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
    const copy = new Uint8Array(chunk.length);
    copy.set(chunk);
    this.pending += copy.byteLength;
    (this.worker as Worker).postMessage(copy.buffer, [copy.buffer]);
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
