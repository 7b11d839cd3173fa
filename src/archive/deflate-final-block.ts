// A complete raw deflate stream made into a piece that a longer stream can go on after: its final
// block marked not final and its end brought to a byte boundary by an empty stored block, as a
// sync flush would have ended it. Compressors that take whole buffers (libdeflate) only write
// complete streams, and where their final block starts is known only by walking the stream block by
// block — through every Huffman code up to each end-of-block, without writing any output. The walk
// checks what it reads (codes, code lengths, stored lengths, the stream's end) and throws on what no
// valid stream holds; having no output, it does not check that distances stay within it.

import { ArchiveCorruptError } from '../util/errors.js';

/** Bits of a code looked up at once; longer codes go through a second table. */
const LIT_BITS = 10;
const DIST_BITS = 8;
const KIND_LITERAL = 0;
const KIND_LENGTH = 1;
const KIND_END = 2;
/** Extra bits of length symbols 257–285 and distance symbols 0–29. */
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/**
 * A decoding table for skipping: entry = bits to consume (the code and the extra bits after it) | kind << 6,
 * or, for codes longer than the table's bits, -(offset of the second table << 4 | its bits); 0 = no code.
 */
type Table = Int32Array;

function invalid(what: string): never {
  throw new ArchiveCorruptError(`Invalid deflate data: ${what}`);
}

/** REVERSED[c] = the 15 bits of c in reverse order. */
const REVERSED = (() => {
  const table = new Uint16Array(1 << 15);
  for (let c = 0; c < 1 << 15; c++) {
    let r = 0;
    for (let i = 0, v = c; i < 15; i++, v >>>= 1) r = (r << 1) | (v & 1);
    table[c] = r;
  }
  return table;
})();

/** Room for a table: its root and second tables (each second table is at most 2^(15 - rootBits) entries). */
function tableRoom(rootBits: number, symbols: number): number {
  return (1 << rootBits) + symbols * (1 << (15 - rootBits));
}

const counts = new Uint16Array(16);
const nextCode = new Uint16Array(16);
const codes = new Uint16Array(288);
const subBits = new Uint8Array(1 << LIT_BITS);
const offsets = new Int32Array(1 << LIT_BITS);

/**
 * Builds a skipping table into `table` from code lengths; a symbol's entry is its code's length
 * plus `base[symbol]` (0 for a symbol that cannot occur). Deflate's Huffman codes are canonical and
 * read bit by bit from the low end, so an entry fills every slot whose low bits are its code
 * reversed. Over-subscribed codes are refused; an incomplete code leaves empty slots, refused when read.
 */
function buildTable(table: Table, lengths: Uint8Array, rootBits: number, base: Int32Array): Table {
  counts.fill(0);
  for (let s = 0; s < lengths.length; s++) counts[lengths[s] as number] = (counts[lengths[s] as number] as number) + 1;
  counts[0] = 0;
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = left * 2 - (counts[len] as number);
    if (left < 0) invalid('an over-subscribed Huffman code');
  }
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + (counts[len - 1] as number)) << 1;
    nextCode[len] = code;
  }
  // Second tables hang under root slots whose codes are longer than rootBits; each is sized for the
  // longest code under its slot.
  const rootSize = 1 << rootBits;
  subBits.fill(0, 0, rootSize);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s] as number;
    if (!len) continue;
    const code = nextCode[len] as number;
    nextCode[len] = code + 1;
    codes[s] = code;
    if (len > rootBits) {
      const slot = (REVERSED[code >>> (len - rootBits)] as number) >>> (15 - rootBits);
      if ((subBits[slot] as number) < len - rootBits) subBits[slot] = len - rootBits;
    }
  }
  let size = rootSize;
  for (let slot = 0; slot < rootSize; slot++) {
    const bits = subBits[slot] as number;
    if (bits) {
      offsets[slot] = size;
      table[slot] = -((size << 4) | bits);
      size += 1 << bits;
    } else {
      table[slot] = 0;
    }
  }
  table.fill(0, rootSize, size);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s] as number;
    if (!len) continue;
    const entry = base[s] === NEVER ? 0 : (base[s] as number) + len;
    const reversed = (REVERSED[codes[s] as number] as number) >>> (15 - len);
    if (len <= rootBits) {
      for (let i = reversed; i < rootSize; i += 1 << len) table[i] = entry;
    } else {
      const slot = reversed & (rootSize - 1);
      const base = offsets[slot] as number;
      const end = 1 << (subBits[slot] as number);
      for (let i = reversed >>> rootBits; i < end; i += 1 << (len - rootBits)) table[base + i] = entry;
    }
  }
  return table;
}

/** What a symbol's entry adds to its code's length (NEVER: a symbol valid data does not hold). */
const NEVER = -1;
/** Literal/length symbols: the extra bits of a length, and the kind. */
const LITERAL_BASE = Int32Array.from({ length: 288 }, (_, s) =>
  s < 256 ? KIND_LITERAL << 6 : s === 256 ? KIND_END << 6 : s <= 285 ? (LENGTH_EXTRA[s - 257] as number) | (KIND_LENGTH << 6) : NEVER,
);
/** Distance symbols: their extra bits. */
const DISTANCE_BASE = Int32Array.from({ length: 30 }, (_, s) => DIST_EXTRA[s] as number);
/** Code-length symbols: the symbol, above the 4 bits of the code's length. */
const CODE_LENGTH_BASE = Int32Array.from({ length: 19 }, (_, s) => s << 4);

const FIXED_LITERALS = buildTable(
  new Int32Array(tableRoom(LIT_BITS, 288)),
  Uint8Array.from({ length: 288 }, (_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8)),
  LIT_BITS,
  LITERAL_BASE,
);
const FIXED_DISTANCES = buildTable(new Int32Array(tableRoom(DIST_BITS, 30)), new Uint8Array(30).fill(5), DIST_BITS, DISTANCE_BASE);
const dynamicLiterals = new Int32Array(tableRoom(LIT_BITS, 288));
const dynamicDistances = new Int32Array(tableRoom(DIST_BITS, 30));
const codeLengthCodes = new Int32Array(tableRoom(7, 19));
const codeLengthLengths = new Uint8Array(19);
const codeLengths = new Uint8Array(286 + 30);

/** Reads deflate's little-endian bit order from `data`, bounded by its length. */
class Bits {
  pos = 0;
  readonly end: number;
  constructor(readonly data: Uint8Array) {
    this.end = data.length * 8;
  }

  /** The next 25 or more bits, without consuming them (zeros past the end). */
  peek(): number {
    return peekAt(this.data, this.pos);
  }

  take(bits: number): number {
    const value = this.peek() & ((1 << bits) - 1);
    this.skip(bits);
    return value;
  }

  skip(bits: number): void {
    this.pos += bits;
    if (this.pos > this.end) invalid('the stream ends inside a block');
  }
}

/** 25 or more bits of `d` from bit `pos`, low bit first (past its end, zeros). */
function peekAt(d: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  let word: number;
  if (i + 3 < d.length) word = d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24);
  else {
    word = 0;
    for (let k = 3; k >= 0; k--) word = (word << 8) | (i + k < d.length ? (d[i + k] as number) : 0);
  }
  return word >>> (pos & 7);
}

/** Decodes one symbol's entry from `table`, given the next bits. */
function entryOf(table: Table, rootBits: number, bits: number): number {
  let entry = table[bits & ((1 << rootBits) - 1)] as number;
  if (entry < 0) entry = table[(-entry >>> 4) + ((bits >>> rootBits) & ((1 << (-entry & 15)) - 1))] as number;
  if (entry === 0) invalid('a code that is not in its Huffman table');
  return entry;
}

/** Reads a dynamic block's header into the dynamic tables. */
function readDynamicTables(bits: Bits): void {
  const literals = bits.take(5) + 257;
  const distances = bits.take(5) + 1;
  const codeLengthCount = bits.take(4) + 4;
  if (literals > 286 || distances > 30) invalid('too many codes in a block header');
  codeLengthLengths.fill(0);
  for (let i = 0; i < codeLengthCount; i++) codeLengthLengths[CODE_LENGTH_ORDER[i] as number] = bits.take(3);
  // The code-length code's entries hold symbol << 4 | code length (at most 7 bits: one table).
  buildTable(codeLengthCodes, codeLengthLengths, 7, CODE_LENGTH_BASE);
  const lengths = codeLengths.subarray(0, literals + distances);
  for (let n = 0; n < lengths.length; ) {
    const entry = entryOf(codeLengthCodes, 7, bits.peek());
    bits.skip(entry & 15);
    const symbol = entry >>> 4;
    if (symbol < 16) {
      lengths[n++] = symbol;
      continue;
    }
    let repeat: number;
    let value = 0;
    if (symbol === 16) {
      if (n === 0) invalid('a repeated code length with none before it');
      value = lengths[n - 1] as number;
      repeat = 3 + bits.take(2);
    } else if (symbol === 17) repeat = 3 + bits.take(3);
    else repeat = 11 + bits.take(7);
    if (n + repeat > lengths.length) invalid('code lengths run past their count');
    lengths.fill(value, n, n + repeat);
    n += repeat;
  }
  if (lengths[256] === 0) invalid('a block without an end-of-block code');
  buildTable(dynamicLiterals, lengths.subarray(0, literals), LIT_BITS, LITERAL_BASE);
  buildTable(dynamicDistances, lengths.subarray(literals), DIST_BITS, DISTANCE_BASE);
}

/**
 * Skips a Huffman-coded block's symbols up to and including its end-of-block code; returns the bit
 * after it. Four bytes read at once give 25 to 32 bits: symbols are decoded from them while at least
 * 15 (the longest code) are left, then the next four are read. The stream's end is checked at each
 * read, at most 32 bits apart, and once more at the block's end.
 */
function skipSymbols(d: Uint8Array, start: number, end: number, literals: Table, distances: Table): number {
  let pos = start;
  let bits = 0;
  let left = 0;
  for (;;) {
    if (left < 15) {
      if (pos > end) invalid('the stream ends inside a block');
      bits = peekAt(d, pos);
      left = 32 - (pos & 7);
    }
    let entry = literals[bits & ((1 << LIT_BITS) - 1)]!;
    if (entry <= 0) entry = entryOf(literals, LIT_BITS, bits);
    const used = entry & 63;
    pos += used;
    bits >>>= used;
    left -= used;
    const kind = entry >>> 6;
    if (kind === KIND_LITERAL) continue;
    if (kind === KIND_END) break;
    if (left < 15) {
      if (pos > end) invalid('the stream ends inside a block');
      bits = peekAt(d, pos);
      left = 32 - (pos & 7);
    }
    let distance = distances[bits & ((1 << DIST_BITS) - 1)]!;
    if (distance <= 0) distance = entryOf(distances, DIST_BITS, bits);
    pos += distance;
    // A distance's extra bits may run past what is left (at most 28 bits: the shift stays below 32);
    // then fewer than 15 are left, and the next symbol reads afresh.
    bits >>>= distance;
    left -= distance;
  }
  if (pos > end) invalid('the stream ends inside a block');
  return pos;
}

export interface DeflateEnd {
  /** Bit offset of the final block's header (its BFINAL bit). */
  finalBlock: number;
  /** Bit offset just past the final block. */
  end: number;
}

/** Walks a complete raw deflate stream to its final block and its end. */
export function findFinalBlock(stream: Uint8Array): DeflateEnd {
  const bits = new Bits(stream);
  for (;;) {
    const start = bits.pos;
    const final = bits.take(1);
    const type = bits.take(2);
    if (type === 0) {
      bits.skip((8 - (bits.pos & 7)) & 7);
      const length = bits.take(16);
      if ((bits.take(16) ^ 0xffff) !== length) invalid('a stored block whose length check fails');
      bits.skip(length * 8);
    } else if (type === 1) {
      bits.pos = skipSymbols(stream, bits.pos, bits.end, FIXED_LITERALS, FIXED_DISTANCES);
    } else if (type === 2) {
      readDynamicTables(bits);
      bits.pos = skipSymbols(stream, bits.pos, bits.end, dynamicLiterals, dynamicDistances);
    } else {
      invalid('a block of the reserved type 3');
    }
    if (final) {
      if (stream.length !== Math.ceil(bits.pos / 8)) invalid('bytes after the final block');
      return { finalBlock: start, end: bits.pos };
    }
  }
}

/** Bytes a piece may take beyond its stream: an empty stored block, at most 5. */
export const PIECE_END = 5;

/**
 * Turns the complete raw deflate stream in `buffer[0, length)` into a piece that is not final and
 * ends on a byte boundary, in place; `buffer` needs PIECE_END bytes of room after it. Returns the
 * piece's length.
 */
export function unfinalize(buffer: Uint8Array, length: number): number {
  if (buffer.length < length + PIECE_END) throw new RangeError('no room for the end of a deflate piece');
  const { finalBlock, end } = findFinalBlock(buffer.subarray(0, length));
  buffer[finalBlock >>> 3] = (buffer[finalBlock >>> 3] as number) & ~(1 << (finalBlock & 7));
  const used = end & 7;
  if (used === 0) return length;
  // An empty stored block: its three header bits (0: not final, 00: stored) after the end, then the
  // rest of that byte, then LEN = 0 and NLEN = 0xffff.
  let at = length - 1;
  buffer[at] = (buffer[at] as number) & ((1 << used) - 1);
  if (used > 5) buffer[++at] = 0; // fewer than three bits were left for the header
  buffer.set([0, 0, 0xff, 0xff], at + 1);
  return at + 5;
}
