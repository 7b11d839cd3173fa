// A free list of equal-sized read buffers that the last consumer of each chunk hands back
// explicitly, so a long stream of large reads does not leave a trail of garbage that the collector
// only frees in bursts (which is what peak memory is made of). Only buffers the pool issued are
// taken back, each once; a chunk never handed back is simply collected like any other.

export class ChunkPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly issued = new WeakSet<ArrayBuffer>();

  /** `size`: bytes per buffer; `keep`: idle buffers kept for reuse at most. */
  constructor(
    readonly size: number,
    private readonly keep = 8,
  ) {}

  /** A buffer of `size` bytes (its contents are whatever was there before). */
  take(): Buffer {
    const ab = this.free.pop() ?? new ArrayBuffer(this.size);
    this.issued.add(ab);
    return Buffer.from(ab);
  }

  /** Whether `chunk` is a view of a buffer this pool issued and has not had back. */
  owns(chunk: Uint8Array): boolean {
    return chunk.buffer instanceof ArrayBuffer && this.issued.has(chunk.buffer);
  }

  /** Hands back the buffer under `chunk` (any view of it) if this pool issued it; else nothing. */
  release(chunk: Uint8Array): void {
    if (!this.owns(chunk)) return;
    const ab = chunk.buffer as ArrayBuffer;
    this.issued.delete(ab);
    if (this.free.length < this.keep) this.free.push(ab);
  }

  /** Idle buffers held for reuse (for tests). */
  get idle(): number {
    return this.free.length;
  }
}
