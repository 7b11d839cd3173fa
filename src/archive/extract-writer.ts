// The file-system side of extraction, on a worker thread: folders, files and hard links are
// created there with synchronous calls, in the order they were asked for, while the main thread
// goes on decrypting, hashing and parsing. Creating a file costs far more in the kernel than the
// rest of its handling, so doing it beside the rest roughly halves an extraction. File contents
// travel in a few reused transfer buffers (several small files share one); at most MAX_IN_FLIGHT
// of them are out at once, so memory stays bounded when the disk is slower than the archive.
// The first failure stops all later operations and is reported by the next call.

import { Worker } from 'node:worker_threads';
import { UnsafeEntryError } from '../util/errors.js';

const BATCH_BYTES = 1 << 20;
const BATCH_OPS = 256;
const MAX_IN_FLIGHT = 4;

/** One operation; paths are absolute and already checked; `off`/`len` locate data in the batch buffer. */
type Op =
  | { op: 'mkdir'; path: string; rel: string }
  | { op: 'file'; path: string; rel: string; mode: number; time: number; off: number; len: number }
  | { op: 'begin'; path: string; rel: string }
  | { op: 'append'; rel: string; off: number; len: number }
  | { op: 'end'; rel: string; mode: number; time: number }
  | { op: 'link'; path: string; rel: string; target: string; name: string };

interface Batch {
  buffer: ArrayBuffer;
  ops: Op[];
}

interface Reply {
  buffer: ArrayBuffer;
  error: { message: string; unsafe: boolean; code?: string; errno?: number; syscall?: string; path?: string } | null;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
const CREATE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
let umask = null;
try { umask = parseInt(/^Umask:\\s*([0-7]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1], 8); } catch {}
class Unsafe extends Error {}
const open = new Map();
let failed = false;

function create(path, rel, mode) {
  try {
    return fs.openSync(path, CREATE, mode);
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    if (fs.lstatSync(path).isDirectory()) throw new Unsafe(rel + ' is a folder in the target; refusing to replace it with a file');
    fs.unlinkSync(path);
    return fs.openSync(path, CREATE, mode);
  }
}
function writeAll(fd, bytes, position) {
  for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at, bytes.length - at, position + at);
}
function finish(fd, mode, time, createdWithMode) {
  if (!createdWithMode || umask === null || (mode & umask) !== 0) fs.fchmodSync(fd, mode);
  fs.futimesSync(fd, time, time);
}
const ops = {
  mkdir(m) {
    try {
      fs.mkdirSync(m.path, { mode: 0o755 });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const st = fs.lstatSync(m.path);
      if (st.isDirectory()) return;
      throw new Unsafe(st.isSymbolicLink() ? 'Refusing to write through the symbolic link ' + m.rel : m.rel + ' exists and is not a folder');
    }
  },
  file(m, bytes) {
    const fd = create(m.path, m.rel, m.mode);
    try {
      writeAll(fd, bytes, 0);
      finish(fd, m.mode, m.time, true);
    } finally {
      fs.closeSync(fd);
    }
  },
  begin(m) {
    open.set(m.rel, { fd: create(m.path, m.rel, 0o600), position: 0 });
  },
  append(m, bytes) {
    const f = open.get(m.rel);
    writeAll(f.fd, bytes, f.position);
    f.position += bytes.length;
  },
  end(m) {
    const f = open.get(m.rel);
    open.delete(m.rel);
    try {
      finish(f.fd, m.mode, m.time, false);
    } finally {
      fs.closeSync(f.fd);
    }
  },
  link(m) {
    const existing = fs.lstatSync(m.path, { throwIfNoEntry: false });
    if (existing && existing.isDirectory()) throw new Unsafe('Refusing hard link ' + m.name + ': a folder of that name exists');
    if (existing) fs.unlinkSync(m.path);
    fs.linkSync(m.target, m.path);
  },
};
parentPort.on('message', (batch) => {
  let error = null;
  if (!failed) {
    for (const m of batch.ops) {
      try {
        ops[m.op](m, m.len === undefined ? undefined : new Uint8Array(batch.buffer, m.off, m.len));
      } catch (err) {
        failed = true;
        error = { message: err.message, unsafe: err instanceof Unsafe, code: err.code, errno: err.errno, syscall: err.syscall, path: err.path };
        for (const f of open.values()) try { fs.closeSync(f.fd); } catch {}
        open.clear();
        break;
      }
    }
  }
  parentPort.postMessage({ buffer: batch.buffer, error }, [batch.buffer]);
});
`;

function toError(e: NonNullable<Reply['error']>): Error {
  if (e.unsafe) return new UnsafeEntryError(e.message);
  return Object.assign(new Error(e.message), { code: e.code, errno: e.errno, syscall: e.syscall, path: e.path });
}

export class ExtractWriter {
  private readonly worker: Worker;
  private free: ArrayBuffer[] = [];
  private outstanding = 0;
  private batch: Batch | null = null;
  private filled = 0;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];
  private flushScheduled = false;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 } });
    this.worker.on('message', (reply: Reply) => {
      this.outstanding--;
      this.free.push(reply.buffer);
      if (reply.error) this.failure ??= toError(reply.error);
      this.wakeAll();
    });
    this.worker.on('error', (err) => {
      this.failure ??= err;
      this.wakeAll();
    });
    this.worker.on('exit', () => {
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
  private async room(bytes: number): Promise<Batch> {
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
    if (!batch || batch.ops.length === 0) return;
    this.batch = null;
    this.outstanding++;
    this.worker.postMessage(batch, [batch.buffer]);
  }

  private async add(op: Op, data?: Uint8Array): Promise<void> {
    const batch = await this.room(data?.length ?? 0);
    if (data && 'off' in op) {
      new Uint8Array(batch.buffer, this.filled, data.length).set(data);
      op.off = this.filled;
      this.filled += data.length;
    }
    batch.ops.push(op);
  }

  mkdir(path: string, rel: string): Promise<void> {
    return this.add({ op: 'mkdir', path, rel });
  }

  /** A whole small file; `data` is copied before this resolves. */
  file(path: string, rel: string, data: Uint8Array, mode: number, time: number): Promise<void> {
    return this.add({ op: 'file', path, rel, mode, time, off: 0, len: data.length }, data);
  }

  /** Creates a large file; its contents follow with append() and end() (never interleaved with another's). */
  begin(path: string, rel: string): Promise<void> {
    return this.add({ op: 'begin', path, rel });
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

  link(path: string, rel: string, target: string, name: string): Promise<void> {
    return this.add({ op: 'link', path, rel, target, name });
  }

  /** Resolves once everything asked for is done; throws the first failure. */
  async drain(): Promise<void> {
    this.flush();
    while (this.outstanding > 0 && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    this.check();
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
