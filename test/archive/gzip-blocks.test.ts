// The pieces of parallel gzip: blocks carry the previous block's tail as dictionary, stored blocks
// are valid deflate, per-block CRCs combine into the whole stream's CRC.
import { randomBytes } from 'node:crypto';
import { crc32, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { handOver } from '../../src/util/owned-chunks.js';
import { assembleBlocks, WINDOW, type Block } from '../../src/archive/block-assembler.js';
import { deflateBlock, storedSize, writeStored } from '../../src/archive/block-deflate.js';
import { crc32Combine } from '../../src/util/crc32-combine.js';
import { ENGINES, requireLibdeflate } from '../helpers/libdeflate.js';

async function* pieces(data: Buffer, size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function blocksOf(data: Buffer, blockSize: number, pieceSize: number): Promise<{ block: Block; bytes: Buffer }[]> {
  const out: { block: Block; bytes: Buffer }[] = [];
  for await (const block of assembleBlocks(pieces(data, pieceSize), blockSize, () => new ArrayBuffer(WINDOW + blockSize))) {
    out.push({ block, bytes: Buffer.from(block.buffer, 0, block.dictLength + block.length) });
  }
  return out;
}

describe('assembleBlocks', () => {
  it('cuts the input into blocks, each starting with the previous block’s last 32 KiB', async () => {
    const data = randomBytes(3 * 100_000 + 123);
    const blocks = await blocksOf(data, 100_000, 7_777);
    expect(blocks.map((b) => b.block.length)).toEqual([100_000, 100_000, 100_000, 123]);
    expect(blocks.map((b) => b.block.last)).toEqual([false, false, false, true]);
    blocks.forEach(({ block, bytes }, i) => {
      const start = i * 100_000;
      expect(bytes.subarray(block.dictLength).equals(data.subarray(start, start + block.length))).toBe(true);
      expect(block.dictLength).toBe(i === 0 ? 0 : WINDOW);
      expect(bytes.subarray(0, block.dictLength).equals(data.subarray(start - block.dictLength, start))).toBe(true);
    });
  });

  it('releases each handed-over input chunk once copied, in order, before the next is asked for', async () => {
    const data = randomBytes(270_000);
    const chunks = Array.from({ length: 9 }, (_, i) => handOver(Buffer.from(data.subarray(i * 30_000, (i + 1) * 30_000))));
    const releasedBeforeNext: boolean[] = [];
    async function* input() {
      for (const c of chunks) {
        yield c;
        // Released (its buffer freed, so it reads as empty) before the next chunk is asked for.
        releasedBeforeNext.push(c.byteLength === 0);
      }
    }
    const seen: Buffer[] = [];
    for await (const block of assembleBlocks(input(), 100_000, () => new ArrayBuffer(WINDOW + 100_000))) {
      seen.push(Buffer.from(Buffer.from(block.buffer, block.dictLength, block.length)));
    }
    expect(releasedBeforeNext).toEqual(chunks.map(() => true));
    expect(Buffer.concat(seen).equals(data)).toBe(true);
  });

  it('marks a full block last when the input ends exactly at its end, and yields one empty block for no input', async () => {
    const exact = await blocksOf(randomBytes(200_000), 100_000, 50_000);
    expect(exact.map((b) => [b.block.length, b.block.last])).toEqual([
      [100_000, false],
      [100_000, true],
    ]);
    const empty = await blocksOf(Buffer.alloc(0), 100_000, 1);
    expect(empty.map((b) => [b.block.length, b.block.last])).toEqual([[0, true]]);
  });
});

describe('deflate blocks', () => {
  it('with libdeflate, deflates a block on its own into a piece that inflates without its dictionary, or a finished stream when last', async () => {
    const text = Buffer.from('sensor.kitchen: 21.5 °C\n'.repeat(50_000)).subarray(0, 300_000);
    for (const last of [false, true]) {
      // The dictionary holds the same text: a compressor that used it would refer back into it.
      const input = new ArrayBuffer(WINDOW + text.length);
      new Uint8Array(input).set(text.subarray(0, WINDOW), 0);
      new Uint8Array(input).set(text, WINDOW);
      const result = await deflateBlock({ input, dictLength: WINDOW, length: text.length, output: new ArrayBuffer(storedSize(text.length)), level: 6, last, store: true, whole: requireLibdeflate() });
      expect(result.crc).toBe(crc32(text));
      expect(result.outputLength).toBeLessThan(text.length / 10);
      const raw = Buffer.from(result.output, 0, result.outputLength);
      // A piece ends on a byte boundary, not final: a final empty stored block finishes it.
      expect(inflateRawSync(last ? raw : Buffer.concat([raw, Buffer.from([1, 0, 0, 0xff, 0xff])])).equals(text)).toBe(true);
      if (!last) expect(() => inflateRawSync(raw)).toThrow(/unexpected end of file/); // not final
    }
  });

  it('stores a block, not final, when what the whole-buffer compressor gave back cannot be walked', async () => {
    const text = Buffer.from('sensor.kitchen: 21.5 °C\n'.repeat(5_000));
    // Random bytes that start with a block of the reserved type 3: random bytes alone are now and
    // then a well-formed stream.
    const garbage = { compress: async (_level: number, _input: Uint8Array, out: Uint8Array) => (out.set(randomBytes(100)), (out[0] = (out[0] as number) | 0b110), 100) };
    const input = new ArrayBuffer(text.length);
    new Uint8Array(input).set(text);
    const result = await deflateBlock({ input, dictLength: 0, length: text.length, output: new ArrayBuffer(storedSize(text.length)), level: 6, last: false, store: true, whole: garbage });
    expect(result.outputLength).toBe(storedSize(text.length));
    const raw = Buffer.concat([Buffer.from(result.output, 0, result.outputLength), Buffer.from([1, 0, 0, 0xff, 0xff])]);
    expect(inflateRawSync(raw).equals(text)).toBe(true);
  });

  it('writes stored blocks that inflate to the input, in 64 KiB parts, final when last', () => {
    for (const size of [0, 1, 65_535, 65_536, 200_000]) {
      const data = randomBytes(size);
      const out = new Uint8Array(storedSize(size));
      expect(writeStored(data, true, out)).toBe(out.length);
      expect(inflateRawSync(out).equals(data)).toBe(true);
      const parts = Math.max(1, Math.ceil(size / 65_535));
      const finalFlags = Array.from({ length: parts }, (_, i) => out[i * (65_535 + 5)]);
      expect(finalFlags).toEqual(Array.from({ length: parts }, (_, i) => (i === parts - 1 ? 1 : 0)));
    }
  });

  it("stores a block that does not compress and deflates one that does, with its CRC", async () => {
    const noise = randomBytes(1 << 20);
    const text = Buffer.from('sensor.kitchen: 21.5\n'.repeat(50_000)).subarray(0, 1 << 20);
    for (const [data, stored] of [
      [noise, true],
      [text, false],
    ] as const) {
      const input = new ArrayBuffer(WINDOW + data.length);
      new Uint8Array(input).set(data, WINDOW);
      const result = await deflateBlock({ input, dictLength: WINDOW, length: data.length, output: new ArrayBuffer(storedSize(data.length)), level: 6, last: true, store: true });
      expect(result.crc).toBe(crc32(data));
      expect(result.outputLength === storedSize(data.length)).toBe(stored);
      const raw = Buffer.from(result.output, 0, result.outputLength);
      expect(inflateRawSync(raw, { dictionary: Buffer.alloc(WINDOW) }).equals(data)).toBe(true);
    }
  });

  it.each(ENGINES)('stores a block whose deflate output (%s) would not beat storing, even without sampling', async (_name, engineOf) => {
    for (const size of [100, 70_000, 1 << 20]) {
      const data = randomBytes(size);
      const input = new ArrayBuffer(data.length);
      new Uint8Array(input).set(data);
      const output = new ArrayBuffer(storedSize(size));
      const result = await deflateBlock({ input, dictLength: 0, length: size, output, level: 6, last: false, store: false, whole: engineOf() });
      expect(result.outputLength).toBe(storedSize(size));
      // Not the last block: it ends with a non-final stored block, so finish the stream to inflate it.
      const raw = Buffer.concat([Buffer.from(output, 0, result.outputLength), Buffer.from([1, 0, 0, 0xff, 0xff])]);
      expect(inflateRawSync(raw).equals(data)).toBe(true);
    }
  });
});

describe('crc32Combine', () => {
  it('gives the CRC of a concatenation from the CRCs of its parts', () => {
    for (const [a, b] of [
      [0, 0],
      [10, 0],
      [0, 10],
      [1, 1],
      [1000, 65_537],
      [1 << 20, 123_457],
    ]) {
      const x = randomBytes(a as number);
      const y = randomBytes(b as number);
      expect(crc32Combine(crc32(x), crc32(y), y.length)).toBe(crc32(Buffer.concat([x, y])));
    }
  });
});
