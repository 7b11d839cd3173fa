import { describe, expect, it } from 'vitest';
import { releaseNow } from '../../src/util/release-buffer.js';

const MiB = 1 << 20;

describe('releaseNow', () => {
  it('frees a buffer at once, without waiting for a garbage collection', async () => {
    await new Promise((resolve) => setImmediate(resolve)); // the module's port finishes closing
    const before = process.memoryUsage().arrayBuffers;
    const buffers = Array.from({ length: 8 }, () => Buffer.alloc(4 * MiB, 1));
    const held = process.memoryUsage().arrayBuffers;
    expect(held - before).toBeGreaterThanOrEqual(32 * MiB);
    for (const b of buffers) releaseNow(b.buffer);
    // The buffers are still referenced here, so only the release can have given their memory back.
    expect(held - process.memoryUsage().arrayBuffers).toBeGreaterThanOrEqual(32 * MiB);
    expect(buffers.every((b) => b.length === 0 && b.buffer.byteLength === 0)).toBe(true);
  });

  it("leaves small buffers and Node's shared pool alone", () => {
    const small = new Uint8Array(1000).fill(7);
    releaseNow(small.buffer);
    expect(small.length).toBe(1000);
    const pooled = Buffer.from('a pooled buffer'); // allocated from Node's shared 8 KiB pool
    releaseNow(pooled.buffer);
    expect(pooled.toString()).toBe('a pooled buffer');
  });

  it('ignores a SharedArrayBuffer', () => {
    const shared = new SharedArrayBuffer(MiB);
    releaseNow(shared);
    expect(shared.byteLength).toBe(MiB);
  });
});
