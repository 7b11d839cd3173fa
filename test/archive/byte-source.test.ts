// Range reads from a backup file: whole ranges in large chunks, each a buffer of its own that is
// handed over to whoever uses it up (a release frees it; a short last chunk is not handed over).
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileByteSource, readRange } from '../../src/archive/byte-source.js';
import { release } from '../../src/util/owned-chunks.js';
import { tmpDir } from '../helpers/tmp.js';

describe('readRange', () => {
  it('reads a range exactly, every chunk a buffer of its own', async () => {
    const path = join(await tmpDir(), 'file.bin');
    const bytes = randomBytes(5 * 8192);
    await writeFile(path, bytes);
    const src = await FileByteSource.open(path);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of readRange(src, 0, bytes.length, 8192)) chunks.push(chunk);
      expect(new Set(chunks.map((c) => c.buffer)).size).toBe(5);
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
      const parts: Buffer[] = [];
      for await (const chunk of readRange(src, 100, bytes.length - 200, 4096)) parts.push(Buffer.from(chunk));
      expect(Buffer.concat(parts).equals(bytes.subarray(100, bytes.length - 100))).toBe(true);
    } finally {
      await src.close();
    }
  });

  it('hands each full chunk of 16 KiB or more over: releasing it frees its buffer', async () => {
    const path = join(await tmpDir(), 'file.bin');
    const bytes = randomBytes(3 * 65536 + 100);
    await writeFile(path, bytes);
    const src = await FileByteSource.open(path);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of readRange(src, 0, bytes.length, 65536)) {
        expect(chunk.equals(bytes.subarray(chunks.length * 65536, chunks.length * 65536 + chunk.length))).toBe(true);
        chunks.push(chunk);
        release(chunk);
      }
      expect(chunks.map((c) => c.byteLength)).toEqual([0, 0, 0, 100]);
    } finally {
      await src.close();
    }
  });
});
