// Whole deflate streams made into pieces a longer stream goes on after: the walk finds the final
// block of streams with stored, fixed and dynamic blocks (zlib's and libdeflate's), the pieces
// inflate to their inputs when joined, every alignment of a stream's end is handled, and damaged
// streams are refused rather than walked past.
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findFinalBlock, PIECE_END, unfinalize } from '../../src/archive/deflate-final-block.js';
import { ArchiveCorruptError } from '../../src/util/errors.js';
import { requireLibdeflate } from '../helpers/libdeflate.js';

function text(size: number, seed = 0): Buffer {
  const lines: string[] = [];
  for (let i = 0, n = 0; n < size; i++) {
    const line = `sensor.room_${(i * 7 + seed) % 23}: ${((i * 31 + seed) % 997) / 10} °C ${i % 5 ? 'on' : 'off'}\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

/** A mix that makes compressors switch block types: text, noise, runs. */
function mixed(size: number): Buffer {
  const parts: Buffer[] = [];
  for (let n = 0, i = 0; n < size; i++) {
    const part = i % 3 === 0 ? text(5000 + i * 97, i) : i % 3 === 1 ? randomBytes(3000 + i * 13) : Buffer.alloc(4000, i);
    parts.push(part);
    n += part.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

/** Bytes from fields written low bit first, as deflate packs them: [value, bits] pairs. */
function packed(...fields: [number, number][]): Buffer {
  const bytes: number[] = [];
  let at = 0;
  for (const [value, bits] of fields) {
    for (let i = 0; i < bits; i++, at++) {
      if (at % 8 === 0) bytes.push(0);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) | (((value >>> i) & 1) << (at % 8));
    }
  }
  return Buffer.from([...bytes, 0, 0, 0, 0]);
}

/**
 * A final dynamic block that never ends: its codes make zero bits a length (symbol 257, code 0) and
 * a distance (symbol 0, code 0), and the stream then runs out, so the walk meets nothing but zeros.
 */
function endlessZeros(): Buffer {
  // Code-length code: 0, 1, 2 and 18 (a run of zeros) two bits each; fields carry codes reversed.
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
  const reversed: Record<number, number> = { 0: 0, 1: 2, 2: 1, 18: 3 };
  const lengths = new Array<number>(258 + 30).fill(0);
  lengths[65] = 2; // a literal
  lengths[256] = 2; // end of block
  lengths[257] = 1; // length 3
  lengths[258] = 1; // distance 1
  const fields: [number, number][] = [[1, 1], [2, 2], [258 - 257, 5], [30 - 1, 5], [order.length - 4, 4]];
  for (const symbol of order) fields.push([symbol in reversed ? 2 : 0, 3]);
  for (let i = 0; i < lengths.length; ) {
    let zeros = 0;
    while (lengths[i + zeros] === 0 && zeros < 138) zeros++;
    if (zeros >= 11) {
      fields.push([reversed[18] as number, 2], [zeros - 11, 7]);
      i += zeros;
    } else fields.push([reversed[lengths[i++] as number] as number, 2]);
  }
  return packed(...fields);
}

/** `streams` made into pieces (all but the last) and joined. */
function join(streams: Buffer[]): Buffer {
  return Buffer.concat(
    streams.map((s, i) => {
      if (i === streams.length - 1) return s;
      const room = Buffer.alloc(s.length + PIECE_END);
      s.copy(room);
      return room.subarray(0, unfinalize(room, s.length));
    }),
  );
}

const inputs = [Buffer.alloc(0), Buffer.from('x'), text(100), text(70_000), mixed(300_000), randomBytes(70_000)];

describe('deflate pieces from whole streams', () => {
  it.each([
    ['level 0 (stored blocks)', { level: 0 }],
    ['level 1', { level: 1 }],
    ['level 6', { level: 6 }],
    ['level 9', { level: 9 }],
    ['fixed Huffman codes', { level: 6, strategy: constants.Z_FIXED }],
    ['Huffman only', { level: 6, strategy: constants.Z_HUFFMAN_ONLY }],
    ['run-length', { level: 6, strategy: constants.Z_RLE }],
  ])("turns zlib's streams (%s) into pieces that inflate to their inputs when joined", (_name, options) => {
    const streams = inputs.map((input) => deflateRawSync(input, options));
    expect(inflateRawSync(join(streams)).equals(Buffer.concat(inputs))).toBe(true);
    expect(inflateRawSync(join([...streams].reverse())).equals(Buffer.concat([...inputs].reverse()))).toBe(true);
  });

  it("turns libdeflate's streams, at every level, into such pieces", async () => {
    const engine = requireLibdeflate();
    for (const level of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
      const streams = await Promise.all(
        inputs.map(async (input) => {
          const out = Buffer.alloc(input.length + 1024);
          return out.subarray(0, await engine.compress(level, input, out));
        }),
      );
      expect(inflateRawSync(join(streams)).equals(Buffer.concat(inputs)), `level ${level}`).toBe(true);
    }
  });

  it('ends every piece on a byte boundary whatever bit its stream ended on, and marks none final', () => {
    const endings = new Set<number>();
    const streams: Buffer[] = [];
    const datas: Buffer[] = [];
    for (let i = 1; endings.size < 8 && i < 500; i++) {
      const data = text(i * 3 + 1, i);
      const stream = deflateRawSync(data);
      endings.add(findFinalBlock(stream).end & 7);
      streams.push(stream);
      datas.push(data);
    }
    expect([...endings].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const [i, stream] of streams.entries()) {
      const room = Buffer.alloc(stream.length + PIECE_END);
      stream.copy(room);
      const piece = room.subarray(0, unfinalize(room, stream.length));
      // Not final: inflating the piece alone runs out of input; with a final empty block after it, it is whole.
      expect(() => inflateRawSync(piece)).toThrow(/unexpected end of file/);
      expect(inflateRawSync(Buffer.concat([piece, Buffer.from([1, 0, 0, 0xff, 0xff])])).equals(datas[i] as Buffer)).toBe(true);
    }
  });

  it('finds where the final block starts and where the stream ends', () => {
    // Two stored blocks: 1 + 2 + 5 bits, LEN/NLEN, 3 bytes; then the final one.
    const stream = Buffer.from([0x00, 3, 0, 0xfc, 0xff, 0x61, 0x62, 0x63, 0x01, 1, 0, 0xfe, 0xff, 0x64]);
    expect(inflateRawSync(stream).toString()).toBe('abcd');
    expect(findFinalBlock(stream)).toEqual({ finalBlock: 64, end: stream.length * 8 });
  });

  it.each([
    ['cut short', (s: Buffer) => s.subarray(0, s.length - 3)],
    ['with bytes after the final block', (s: Buffer) => Buffer.concat([s, Buffer.from([0, 0])])],
    ['a reserved block type', () => Buffer.from([0x07, 0, 0, 0])],
    ['a stored block whose length check fails', () => Buffer.from([0x01, 3, 0, 0xfc, 0xfe, 0x61, 0x62, 0x63])],
    // A dynamic block whose code-length code gives all 19 symbols one bit.
    ['an over-subscribed code', () => packed([1, 1], [2, 2], [0, 5], [0, 5], [15, 4], ...Array.from({ length: 19 }, (): [number, number] => [1, 3]))],
    ['without a final block', () => deflateRawSync(text(5000), { finishFlush: constants.Z_SYNC_FLUSH })],
  ])('refuses a stream %s', (name, damage) => {
    const stream = damage(deflateRawSync(text(20_000)));
    expect(() => findFinalBlock(stream)).toThrow(ArchiveCorruptError);
    const reason: Record<string, RegExp> = {
      'cut short': /ends inside a block/,
      'with bytes after the final block': /bytes after the final block/,
      'a reserved block type': /reserved type 3/,
      'a stored block whose length check fails': /length check fails/,
      'an over-subscribed code': /over-subscribed/,
      'without a final block': /ends inside a block/,
    };
    expect(() => findFinalBlock(stream)).toThrow(reason[name]);
  });

  it('refuses at once a stream whose zero bits past its end read as lengths and distances', { timeout: 2000 }, () => {
    expect(() => findFinalBlock(endlessZeros())).toThrow(/ends inside a block/);
  });

  // Random bytes are now and then a well-formed stream (about 1 in 60 000 here: a final fixed
  // block whose end falls in the last byte), so the walk may accept them; what it must never do is
  // read past them or fail with anything but a refusal.
  it('refuses random bytes or finds their end inside them, never walking past them', () => {
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      const bytes = randomBytes(64 + i);
      try {
        const { finalBlock, end } = findFinalBlock(bytes);
        expect(finalBlock).toBeLessThan(end);
        expect(Math.ceil(end / 8)).toBe(bytes.length);
      } catch (error) {
        expect(error).toBeInstanceOf(ArchiveCorruptError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(490);
  });

  it('needs room for the empty block a piece may end with', () => {
    const stream = deflateRawSync(text(1000));
    expect(() => unfinalize(Buffer.from(stream), stream.length)).toThrow(RangeError);
  });
});
