// Puts a durable extraction on disk while it goes on (extract-worker.ts): each finished file, and
// each folder once all its entries are made, is handed over with a descriptor of its own and fsynced
// in the background, so that the extraction is durable moments after its last write instead of
// after a second pass over the whole tree. At most IN_FLIGHT fsyncs run at once on the thread pool
// (decompression needs it too); at most QUEUED descriptors wait, beyond which the oldest is synced
// on the spot, so open descriptors stay bounded whatever the number of files. A large file still
// being written is written out early (a datasync every few MiB), so that its final fsync is quick;
// those count like any sync, and its descriptor is closed only once none of them runs. The first
// failure is kept for the extraction to report; settle() calls back once everything handed over is
// synced and closed.

import { closeSync, fdatasync, fsync, fsyncSync } from 'node:fs';

const IN_FLIGHT = 2;
const QUEUED = 64;

interface Pending {
  fd: number;
  /** The entry, for the failure's message. */
  rel: string;
  /** False: only closed (a file abandoned half-written). */
  sync: boolean;
}

/** A file still being written, with the early datasyncs of it that run. */
interface Open {
  running: number;
  /** What to do with its descriptor once they have ended. */
  then: Pending | null;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // the sync's own result is what counts
  }
}

export class BackgroundSyncs {
  private readonly waiting: Pending[] = [];
  private running = 0;
  private readonly writing = new Map<number, Open>();
  private readonly settled: (() => void)[] = [];
  private abandoned = false;
  /** The first sync that failed (or the abandonment of the extraction). */
  failure: { rel: string; error: NodeJS.ErrnoException } | null = null;

  /** Takes over `fd`: synced, then closed. */
  add(fd: number, rel: string): void {
    this.handle({ fd, rel, sync: true });
  }

  /** Takes over `fd`, a file abandoned half-written: closed, unsynced, once no datasync of it runs. */
  close(fd: number): void {
    this.handle({ fd, rel: '', sync: false });
  }

  /** Starts writing out what the file open as `fd` holds so far; it stays the caller's until add() or close(). */
  writeOut(fd: number, rel: string): void {
    const open = this.writing.get(fd) ?? { running: 0, then: null };
    this.writing.set(fd, open);
    open.running++;
    fdatasync(fd, (err) => {
      if (err) this.fail(rel, err);
      if (--open.running > 0) return;
      this.writing.delete(fd);
      if (open.then) this.handle(open.then);
      this.settleIfIdle();
    });
  }

  /** Calls back once everything handed over so far is synced and closed (at once if it is). */
  settle(done: () => void): void {
    if (this.idle()) done();
    else this.settled.push(done);
  }

  /**
   * The extraction is abandoned: what waits is closed unsynced, and whoever waits for it to settle
   * is answered with a failure (it is not on disk). Syncs already running end on their own.
   */
  abandon(): void {
    this.abandoned = true;
    for (const p of this.waiting.splice(0)) closeQuietly(p.fd);
    this.fail('', Object.assign(new Error('the extraction was stopped before all of it was on disk'), { code: 'ECANCELED' }));
    for (const done of this.settled.splice(0)) done();
  }

  private handle(p: Pending): void {
    const open = this.writing.get(p.fd);
    if (open) {
      open.then = p; // after its datasyncs: the descriptor must not be closed (and its number reused) before
      return;
    }
    if (!p.sync || this.abandoned) {
      closeQuietly(p.fd);
      return;
    }
    this.waiting.push(p);
    if (this.waiting.length > QUEUED) this.syncNow(this.waiting.shift() as Pending);
    this.pump();
  }

  private idle(): boolean {
    return this.running === 0 && this.waiting.length === 0 && this.writing.size === 0;
  }

  private settleIfIdle(): void {
    if (this.idle()) for (const done of this.settled.splice(0)) done();
  }

  private fail(rel: string, error: unknown): void {
    this.failure ??= { rel, error: error as NodeJS.ErrnoException };
  }

  private syncNow(p: Pending): void {
    try {
      fsyncSync(p.fd);
    } catch (err) {
      this.fail(p.rel, err);
    } finally {
      closeQuietly(p.fd);
    }
  }

  private pump(): void {
    while (this.running < IN_FLIGHT && this.waiting.length > 0) {
      const p = this.waiting.shift() as Pending;
      this.running++;
      fsync(p.fd, (err) => {
        closeQuietly(p.fd);
        this.running--;
        if (err) this.fail(p.rel, err);
        this.pump();
        this.settleIfIdle();
      });
    }
  }
}
