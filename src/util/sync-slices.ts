// Paces short synchronous file-system calls on the calling thread. Creating, reading or writing a
// small file synchronously costs a fraction of the same call through the thread pool (one
// round trip per call, several per file), but it holds the event loop; a Pacer lets it go at
// least every few milliseconds, so timers, sockets and progress reports keep running.

import { readFileSync } from 'node:fs';

const SLICE_MS = 4;

export class Pacer {
  private since = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  /** Resolves at once while the current slice has time left, otherwise after a turn of the event loop. */
  pace(): Promise<void> | undefined {
    if (performance.now() - this.since < this.sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.since = performance.now();
        resolve();
      }),
    );
  }
}

let cachedUmask: number | null | undefined;

/**
 * The process's file-mode creation mask, read from /proc (process.umask() would have to change
 * it to read it); null when it cannot be read, and callers then set modes explicitly.
 */
export function currentUmask(): number | null {
  if (cachedUmask !== undefined) return cachedUmask;
  try {
    const line = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    cachedUmask = line ? parseInt(line[1] as string, 8) : null;
  } catch {
    cachedUmask = null;
  }
  return cachedUmask;
}
