// Owned chunks: a buffer is freed at once when the chunk its producer handed over is released —
// only that chunk object, never a slice of it or a chunk nobody handed over — and small, pooled
// and shared buffers are left to the collector.
import { describe, expect, it } from 'vitest';
import { freeNow, handOver, release } from '../../src/util/owned-chunks.js';

const MiB = 1 << 20;

describe('freeNow', () => {
  it('frees a buffer at once, without waiting for a garbage collection', async () => {
    await new Promise((resolve) => setImmediate(resolve)); // the module's port finishes closing
    const buffers = Array.from({ length: 8 }, () => Buffer.alloc(4 * MiB, 1));
    expect(buffers.reduce((n, b) => n + b.buffer.byteLength, 0)).toBe(32 * MiB);
    // Nothing is allocated between these two readings, so no collection runs between them.
    const held = process.memoryUsage().arrayBuffers;
    for (const b of buffers) freeNow(b.buffer);
    // The buffers are still referenced here, so only the release can have given their memory back.
    expect(held - process.memoryUsage().arrayBuffers).toBeGreaterThanOrEqual(32 * MiB);
    expect(buffers.every((b) => b.length === 0 && b.buffer.byteLength === 0)).toBe(true);
  });

  it("leaves small buffers and Node's shared pool alone", () => {
    const small = new Uint8Array(1000).fill(7);
    freeNow(small.buffer);
    expect(small.length).toBe(1000);
    const pooled = Buffer.from('a pooled buffer'); // allocated from Node's shared 8 KiB pool
    freeNow(pooled.buffer);
    expect(pooled.toString()).toBe('a pooled buffer');
  });

  it('ignores a SharedArrayBuffer', () => {
    const shared = new SharedArrayBuffer(MiB);
    freeNow(shared);
    expect(shared.byteLength).toBe(MiB);
  });
});

describe('handOver and release', () => {
  it('frees a chunk its producer handed over, once, and nothing else', () => {
    const passed = handOver(Buffer.alloc(MiB, 1));
    const kept = Buffer.alloc(MiB, 2);
    release(kept); // never handed over: its producer may still use it
    expect(kept.length).toBe(MiB);
    const whole = handOver(Buffer.alloc(MiB, 3));
    release(whole.subarray(0, 1000)); // a slice is another chunk: it owns nothing
    expect(whole.length).toBe(MiB);
    release(passed);
    expect(passed.length).toBe(0);
    expect(passed.buffer.byteLength).toBe(0);
    release(passed); // a second release does nothing
  });

  it('a handed-over view frees the whole buffer under it (its producer is done with all of it)', () => {
    const backing = Buffer.alloc(2 * MiB, 4);
    const earlier = backing.subarray(0, MiB);
    const last = handOver(backing.subarray(MiB));
    release(earlier); // not handed over: nothing happens
    expect(backing.length).toBe(2 * MiB);
    release(last);
    expect(backing.buffer.byteLength).toBe(0);
  });

  it('does not hand over chunks of small buffers', () => {
    const small = handOver(Buffer.alloc(1000, 5));
    release(small);
    expect(small.length).toBe(1000);
  });
});
