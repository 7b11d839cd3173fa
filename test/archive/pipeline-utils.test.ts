// Pipeline helpers: read-ahead that keeps order and stops its source, and the file writer that
// gathers chunks into large writes.
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readAhead } from '../../src/util/concurrency.js';
import { FileWriter } from '../../src/util/file-writer.js';
import { tmpDir } from '../helpers/tmp.js';

describe('readAhead', () => {
  it('keeps the order, and pulls ahead of a slow consumer up to the limit', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield i;
      }
    }
    const seen: number[] = [];
    vi.useFakeTimers();
    try {
      for await (const n of readAhead(source(), 3)) {
        if (n === 0) {
          await vi.advanceTimersByTimeAsync(20); // a slow consumer, on the fake clock
          expect(pulled).toBeGreaterThanOrEqual(3);
          expect(pulled).toBeLessThanOrEqual(5);
        }
        seen.push(n);
      }
    } finally {
      vi.useRealTimers();
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('delivers the items before a failure, then the failure', async () => {
    async function* source() {
      yield 1;
      yield 2;
      throw new Error('boom');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of readAhead(source(), 10)) seen.push(n);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([1, 2]);
  });

  it('stops its source when the consumer stops early', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const n of readAhead(source(), 2)) if (n === 3) break;
    expect(closed).toBe(true);
  });
});

describe('FileWriter', () => {
  it('hands the file to the disk as it grows (datasyncs while writing), and its bytes stay exact', async () => {
    const dir = await tmpDir();
    const path = join(dir, 'large.bin');
    const probe = await open(join(dir, 'probe'), 'w');
    const handle = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const datasync = vi.spyOn(handle, 'datasync');
    try {
      const w = await FileWriter.create(path);
      const expected: Buffer[] = [];
      for (let i = 0; i < 48; i++) {
        const chunk = Buffer.alloc(1 << 20, i);
        expected.push(chunk);
        await w.write(Buffer.from(chunk));
        if (i === 30) await w.patch(1, Buffer.from('MID'));
      }
      const syncsWhileWriting = datasync.mock.calls.length;
      await w.finish();
      const all = Buffer.concat(expected);
      all.write('MID', 1);
      expect((await readFile(path)).equals(all)).toBe(true);
      expect(syncsWhileWriting).toBeGreaterThanOrEqual(1);
    } finally {
      datasync.mockRestore();
    }
  });

  it('writes many chunks of any size in order, and patches afterwards', async () => {
    const dir = await tmpDir();
    const path = join(dir, 'out.bin');
    const w = await FileWriter.create(path);
    const expected: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const chunk = Buffer.alloc((i * 7919) % 3000, i & 0xff);
      expected.push(chunk);
      await w.write(chunk);
    }
    await w.patch(0, Buffer.from('HEAD'));
    await w.finish();
    const all = Buffer.concat(expected);
    all.write('HEAD', 0);
    expect((await readFile(path)).equals(all)).toBe(true);
    expect(w.position).toBe(all.length);
  });

  it('lets the caller reuse a chunk as soon as write returns', async () => {
    const dir = await tmpDir();
    const path = join(dir, 'reused.bin');
    const w = await FileWriter.create(path);
    const chunk = Buffer.alloc(700_000);
    const expected: Buffer[] = [];
    // 700 KB chunks straddle the 1 MiB staging buffers, so some are written while being refilled.
    for (let i = 0; i < 12; i++) {
      chunk.fill(i + 1);
      expected.push(Buffer.from(chunk));
      await w.write(chunk);
    }
    chunk.fill(0xee);
    await w.finish();
    expect((await readFile(path)).equals(Buffer.concat(expected))).toBe(true);
  });
});
