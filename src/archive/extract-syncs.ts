// Puts a durable extraction on disk while it goes on (extract-worker.ts): each finished file, and
// each folder once all its entries are made, is handed over with a descriptor of its own and fsynced
// in the background, so that the extraction is durable moments after its last write instead of
// after a second pass over the whole tree. At most IN_FLIGHT fsyncs run at once on the thread pool
// (decompression needs it too); at most QUEUED descriptors wait, beyond which the oldest is synced
// on the spot, so open descriptors stay bounded whatever the number of files. The first failure is
// kept for the extraction to report; settle() calls back once everything handed over is synced.

import { closeSync, fsync, fsyncSync } from 'node:fs';

const IN_FLIGHT = 2;
const QUEUED = 64;

interface Pending {
  fd: number;
  /** The entry, for the failure's message. */
  rel: string;
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
  private readonly settled: (() => void)[] = [];
  /** The first fsync that failed. */
  failure: { rel: string; error: NodeJS.ErrnoException } | null = null;

  /** Takes over `fd` (synced, then closed). */
  add(fd: number, rel: string): void {
    this.waiting.push({ fd, rel });
    if (this.waiting.length > QUEUED) this.syncNow(this.waiting.shift() as Pending);
    this.pump();
  }

  /** Calls back once everything handed over so far is synced and closed (at once if it is). */
  settle(done: () => void): void {
    if (this.idle()) done();
    else this.settled.push(done);
  }

  /**
   * Closes, unsynced, what still waits (the extraction is abandoned) and answers whoever waits for
   * it to settle; fsyncs already running end on their own.
   */
  abandon(): void {
    for (const p of this.waiting.splice(0)) closeQuietly(p.fd);
    for (const done of this.settled.splice(0)) done();
  }

  private idle(): boolean {
    return this.running === 0 && this.waiting.length === 0;
  }

  private fail(p: Pending, error: unknown): void {
    this.failure ??= { rel: p.rel, error: error as NodeJS.ErrnoException };
  }

  private syncNow(p: Pending): void {
    try {
      fsyncSync(p.fd);
    } catch (err) {
      this.fail(p, err);
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
        if (err) this.fail(p, err);
        this.pump();
        if (this.idle()) for (const done of this.settled.splice(0)) done();
      });
    }
  }
}
