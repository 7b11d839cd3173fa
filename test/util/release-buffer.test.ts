import { describe, expect, it } from 'vitest';
import { passOwnership, releaseNow, releaseOwned, spansWholeBuffer } from '../../src/util/release-buffer.js';

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

describe('passOwnership and releaseOwned', () => {
  it('frees a chunk whose producer passed ownership, once, and nothing else', () => {
    const passed = passOwnership(Buffer.alloc(MiB, 1));
    const kept = Buffer.alloc(MiB, 2);
    releaseOwned(kept); // never passed on: its producer may still use it
    expect(kept.length).toBe(MiB);
    const whole = Buffer.alloc(MiB, 3);
    passOwnership(whole);
    releaseOwned(whole.subarray(0, 1000)); // only part of the buffer: other views may exist
    expect(whole.length).toBe(MiB);
    releaseOwned(passed);
    expect(passed.length).toBe(0);
    expect(passed.buffer.byteLength).toBe(0);
  });

  it('does not mark a view into a larger buffer', () => {
    const backing = Buffer.alloc(2 * MiB, 4);
    const view = passOwnership(backing.subarray(0, MiB));
    releaseOwned(view);
    expect(backing.length).toBe(2 * MiB);
    expect(spansWholeBuffer(view)).toBe(false);
    expect(spansWholeBuffer(backing)).toBe(true);
  });
});
