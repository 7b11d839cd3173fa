// A ByteSource that records what was read from it (total bytes, the largest single read), so a
// test can prove a reader refused a file without reading it into memory.

import type { ByteSource } from '../../src/archive/byte-source.js';

export class CountingSource implements ByteSource {
  bytesRead = 0;
  largestRead = 0;
  reads = 0;

  constructor(private readonly inner: ByteSource) {}

  get size(): number {
    return this.inner.size;
  }

  async read(position: number, length: number): Promise<Buffer> {
    const buf = await this.inner.read(position, length);
    this.reads++;
    this.bytesRead += buf.length;
    this.largestRead = Math.max(this.largestRead, buf.length);
    return buf;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
