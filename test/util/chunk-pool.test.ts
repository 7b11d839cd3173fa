// The read-buffer pool: buffers come back only when handed back, only the pool's own, only once.
import { describe, expect, it } from 'vitest';
import { ChunkPool } from '../../src/util/chunk-pool.js';

describe('ChunkPool', () => {
  it('reuses a handed-back buffer, whichever view of it comes back', () => {
    const pool = new ChunkPool(1024);
    const a = pool.take();
    expect(a.length).toBe(1024);
    pool.release(a.subarray(10, 20));
    expect(pool.idle).toBe(1);
    expect(pool.take().buffer).toBe(a.buffer);
    expect(pool.idle).toBe(0);
  });

  it('gives a fresh buffer while none has come back', () => {
    const pool = new ChunkPool(64);
    const a = pool.take();
    const b = pool.take();
    expect(b.buffer).not.toBe(a.buffer);
  });

  it('takes back a buffer once, and never one it did not issue', () => {
    const pool = new ChunkPool(64);
    const a = pool.take();
    pool.release(a);
    pool.release(a);
    expect(pool.idle).toBe(1);
    pool.release(Buffer.alloc(64));
    pool.release(Buffer.allocUnsafeSlow(64));
    expect(pool.idle).toBe(1);
    // Taken again, then handed back again: fine, it was issued anew.
    const again = pool.take();
    pool.release(again);
    expect(pool.idle).toBe(1);
  });

  it('keeps at most `keep` idle buffers', () => {
    const pool = new ChunkPool(16, 2);
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const t of taken) pool.release(t);
    expect(pool.idle).toBe(2);
  });
});
