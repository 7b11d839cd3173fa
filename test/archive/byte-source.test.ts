// Range reads from a backup file: whole ranges in large chunks, and with `reuse` the same three
// buffers cycling, each chunk intact until the one after the next is taken.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileByteSource, readRange } from '../../src/archive/byte-source.js';
import { tmpDir } from '../helpers/tmp.js';

describe('readRange', () => {
  it('with reuse, reads a range exactly through three recycled buffers, each chunk intact until the next-but-one is taken', async () => {
    const path = join(await tmpDir(), 'file.bin');
    const bytes = randomBytes(10 * 4096 + 123);
    await writeFile(path, bytes);
    const src = await FileByteSource.open(path);
    try {
      const copies: Buffer[] = [];
      const backing = new Set<ArrayBufferLike>();
      let previous: { chunk: Buffer; copy: Buffer } | null = null;
      for await (const chunk of readRange(src, 100, bytes.length - 200, 4096, { reuse: true })) {
        // The chunk before this one has not been overwritten by the read now under way.
        if (previous) expect(previous.chunk.equals(previous.copy)).toBe(true);
        const copy = Buffer.from(chunk);
        copies.push(copy);
        backing.add(chunk.buffer);
        previous = { chunk, copy };
      }
      expect(Buffer.concat(copies).equals(bytes.subarray(100, bytes.length - 100))).toBe(true);
      expect(backing.size).toBe(3);
    } finally {
      await src.close();
    }
  });

  it('without reuse, every chunk is a buffer of its own', async () => {
    const path = join(await tmpDir(), 'file.bin');
    const bytes = randomBytes(5 * 8192);
    await writeFile(path, bytes);
    const src = await FileByteSource.open(path);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of readRange(src, 0, bytes.length, 8192)) chunks.push(chunk);
      expect(new Set(chunks.map((c) => c.buffer)).size).toBe(5);
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    } finally {
      await src.close();
    }
  });
});
