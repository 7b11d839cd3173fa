// The file-system side of extraction, on a worker thread (extract-worker.ts): folders, files, hard
// and symbolic links are created there with synchronous calls, in the order they were asked for,
// each in the folder Lifeboat made (held open, never reached through a path), while the main
// thread goes on decrypting, hashing and parsing. Creating a file costs far more in the kernel than the
// rest of its handling, so doing it beside the rest roughly halves an extraction. File contents
// travel in a few reused transfer buffers (several small files share one); at most MAX_IN_FLIGHT
// of them are out at once, so memory stays bounded when the disk is slower than the archive.
// The first failure stops all later operations and is reported by the next call. A durable
// extraction is on disk, files and folders, when drain() resolves. When an
// extraction is over, its worker is reset and waits, idle, for the next one (starting one costs
// tens of milliseconds), and a restore starts one ahead of its extraction (warmUpExtractWorker); a
// worker that died or does not answer is stopped instead.

import type { Worker } from 'node:worker_threads';
import { UnsafeEntryError } from '../util/errors.js';
import { startWorker } from '../util/worker-module.js';
import type { ExtractAnswer, ExtractBatch, ExtractFailure, ExtractOp, ExtractRequest } from './extract-ops.js';

const BATCH_BYTES = 1 << 20;
const BATCH_OPS = 256;
const MAX_IN_FLIGHT = 4;

function toError(e: ExtractFailure): Error {
  if (e.unsafe) return new UnsafeEntryError(e.message);
  return Object.assign(new Error(e.message), { code: e.code, errno: e.errno, syscall: e.syscall, path: e.path });
}

/** An idle worker is stopped after this long (it holds a few MiB). */
const IDLE_MS = 30_000;

/** The worker of the last extraction, reset and kept for the next one for a while. */
let idle: { worker: Worker; timer: NodeJS.Timeout } | null = null;

function newWorker(): Worker {
  return startWorker(import.meta.url, 'extract-worker', { resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 } });
}

function takeWorker(): Worker {
  const kept = idle;
  idle = null;
  if (kept) clearTimeout(kept.timer);
  const worker = kept?.worker ?? newWorker();
  worker.removeAllListeners();
  worker.ref();
  return worker;
}

function park(worker: Worker): boolean {
  if (idle) return false;
  worker.removeAllListeners();
  worker.unref(); // an idle worker never keeps the process alive
  const timer = setTimeout(() => {
    if (idle?.worker === worker) idle = null;
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  worker.once('exit', () => {
    if (idle?.worker === worker) idle = null;
  });
  worker.on('error', () => undefined);
  idle = { worker, timer };
  return true;
}

/**
 * Starts the worker of the next extraction now, unless one is already waiting: it boots on another
 * core (a thread with its own isolate, tens of milliseconds) while the caller is still loading the
 * application or deriving the key. Like any idle worker it never keeps the process alive.
 */
export function warmUpExtractWorker(): void {
  if (!idle) park(newWorker());
}

/** How long a reset may take before the worker is given up. */
const RESET_MS = 5000;

export class ExtractWriter {
  private readonly worker: Worker;
  /** The worker died or was stopped: it cannot serve another extraction. */
  private dead = false;
  private onReset: (() => void) | null = null;
  private free: ArrayBuffer[] = [];
  private outstanding = 0;
  private batch: ExtractBatch | null = null;
  private filled = 0;
  private failure: Error | null = null;
  private durable = false;
  /** A durable extraction's last settle request was answered. */
  private settled = false;
  private waiters: (() => void)[] = [];
  private flushScheduled = false;
  /** Closing: what is still queued is dropped, never sent after the reset. */
  private closing = false;

  constructor() {
    this.worker = takeWorker();
    this.worker.on('message', (answer: ExtractAnswer) => {
      if ('reset' in answer) {
        this.onReset?.();
        return;
      }
      if ('settled' in answer) {
        if (answer.error) this.failure ??= toError(answer.error);
        this.settled = true;
        this.wakeAll();
        return;
      }
      this.outstanding--;
      this.free.push(answer.buffer);
      if (answer.error) this.failure ??= toError(answer.error);
      this.wakeAll();
    });
    this.worker.on('error', (err) => {
      this.dead = true;
      this.failure ??= err;
      this.wakeAll();
    });
    this.worker.on('exit', () => {
      this.dead = true;
      this.failure ??= new Error('The extraction worker stopped unexpectedly');
      this.wakeAll();
    });
  }

  private wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  /** The batch being filled, with room for `bytes` more data (a fresh one if needed). */
  private async room(bytes: number): Promise<ExtractBatch> {
    this.check();
    if (this.batch && (this.filled + bytes > this.batch.buffer.byteLength || this.batch.ops.length >= BATCH_OPS)) this.flush();
    if (!this.batch) {
      while (this.outstanding >= MAX_IN_FLIGHT && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
      this.check();
      // The batch may have been created by another caller while this one waited.
      if (!this.batch) {
        this.batch = { buffer: this.free.pop() ?? new ArrayBuffer(Math.max(BATCH_BYTES, bytes)), ops: [] };
        if (this.batch.buffer.byteLength < bytes) this.batch.buffer = new ArrayBuffer(bytes);
        this.filled = 0;
      }
    }
    if (!this.flushScheduled) {
      // Whatever is queued goes out as soon as this thread waits for something.
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    return this.batch;
  }

  private flush(): void {
    const batch = this.batch;
    if (!batch || batch.ops.length === 0 || this.closing) return;
    this.batch = null;
    this.outstanding++;
    const request: ExtractRequest = batch;
    this.worker.postMessage(request, [batch.buffer]);
  }

  private async add(op: ExtractOp, data?: Uint8Array): Promise<void> {
    const batch = await this.room(data?.length ?? 0);
    if (data && 'off' in op) {
      new Uint8Array(batch.buffer, this.filled, data.length).set(data);
      op.off = this.filled;
      this.filled += data.length;
    }
    batch.ops.push(op);
  }

  /**
   * The target folder; asked for first (entries are created in it, through it, never by path).
   * `durable`: all that is made in it is fsynced by the time drain() resolves.
   */
  root(path: string, durable = false): Promise<void> {
    this.durable = durable;
    return this.add({ op: 'root', path, durable });
  }

  mkdir(rel: string): Promise<void> {
    return this.add({ op: 'mkdir', rel });
  }

  /** A whole small file; `data` is copied before this resolves. */
  file(rel: string, data: Uint8Array, mode: number, time: number): Promise<void> {
    return this.add({ op: 'file', rel, mode, time, off: 0, len: data.length }, data);
  }

  /** Creates a large file; its contents follow with append() and end() (never interleaved with another's). */
  begin(rel: string): Promise<void> {
    return this.add({ op: 'begin', rel });
  }

  async append(rel: string, data: Uint8Array): Promise<void> {
    for (let at = 0; at < data.length; at += BATCH_BYTES) {
      const piece = data.subarray(at, Math.min(data.length, at + BATCH_BYTES));
      await this.add({ op: 'append', rel, off: 0, len: piece.length }, piece);
    }
  }

  end(rel: string, mode: number, time: number): Promise<void> {
    return this.add({ op: 'end', rel, mode, time });
  }

  /** A hard link `rel` to the file `target` extracted before; `name` is the entry's, for messages. */
  link(rel: string, target: string, name: string): Promise<void> {
    return this.add({ op: 'link', rel, target, name });
  }

  symlink(rel: string, target: string, time: number): Promise<void> {
    return this.add({ op: 'symlink', rel, target, time });
  }

  /** Checks that a folder is still in its place (a swap is refused), and sets its mode and time. */
  folder(rel: string, mode?: number, time?: number): Promise<void> {
    return this.add({ op: 'folder', rel, mode, time });
  }

  /** Resolves once everything asked for is done (and, if durable, on disk); throws the first failure. */
  async drain(): Promise<void> {
    this.flush();
    while (this.outstanding > 0 && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    this.check();
    if (!this.durable) return;
    this.settled = false;
    const request: ExtractRequest = { settle: true };
    this.worker.postMessage(request);
    while (!this.settled && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    this.check();
  }

  /** Resets the worker (after whatever it was still doing) and resolves whether it answered. */
  private async reset(): Promise<boolean> {
    // Operations not sent yet are dropped: none may reach the worker after its reset (a flush
    // already scheduled finds nothing to send).
    this.batch = null;
    while (this.outstanding > 0 && !this.dead) await new Promise<void>((r) => this.waiters.push(r));
    if (this.dead) return false;
    let timer: NodeJS.Timeout | undefined;
    const answered = await new Promise<boolean>((resolve) => {
      this.onReset = () => resolve(true);
      timer = setTimeout(() => resolve(false), RESET_MS);
      const request: ExtractRequest = { reset: true };
      this.worker.postMessage(request);
    });
    clearTimeout(timer);
    this.onReset = null;
    return answered && !this.dead;
  }

  /** Gives the worker, reset, to the next extraction; stops it when it died or does not answer. */
  async close(): Promise<void> {
    this.closing = true;
    this.batch = null;
    if ((await this.reset()) && park(this.worker)) return;
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
