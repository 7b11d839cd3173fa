// Paces short synchronous file-system calls on the calling thread. Looking at or reading a small
// file synchronously costs a fraction of the same call through the thread pool (one round trip
// per call, several per file), but it holds the event loop; a Pacer lets it go at least every few
// milliseconds, so timers, sockets and progress reports keep running.

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
