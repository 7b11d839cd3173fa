// Compresses one block of a pigz-style gzip stream: with libdeflate where it is there (libdeflate.ts),
// on its own and made into a piece (deflate-final-block.ts); otherwise with zlib, primed with the
// previous 32 KiB as dictionary and ended with a sync flush. The last block is finished. When a
// sample's byte entropy shows the block does not compress, deflate stored blocks are written
// directly. The result goes into a buffer the caller provides; zlib's own output buffers are freed
// as soon as they are copied. Also returns the block's CRC-32, so the whole stream's CRC can be
// combined from the blocks'.

import { constants, crc32, createDeflateRaw } from 'node:zlib';
import { freeNow } from '../util/owned-chunks.js';
import { PIECE_END, unfinalize } from './deflate-final-block.js';
import { ArchiveCorruptError } from '../util/errors.js';
import type { WholeDeflater } from './libdeflate.js';

/** Bytes sampled from a block: four pieces of a sixty-fourth of it each (at most 8 KiB each). */
const SAMPLES = 4;
const MAX_SAMPLE = 8 * 1024;
const MIN_SAMPLE = 512;
/**
 * Bits per byte above which a sample is treated as already compressed: photos, video and archives
 * measure 7.95–8, text 4–5, a recorder database 5–7. Deflate cannot shrink data whose bytes are
 * this evenly spread unless it repeats itself — rare in such files, and then only a size matter.
 */
const STORE_ENTROPY = 7.9;
const STORED_MAX = 0xffff;
const OUTPUT_CHUNK = 256 * 1024;

export interface BlockJob {
  /** Holds the dictionary (`dictLength` bytes) followed by the block (`length` bytes). */
  input: ArrayBuffer;
  dictLength: number;
  length: number;
  /** Receives the raw deflate data; at least storedSize(length) bytes. */
  output: ArrayBuffer;
  level: number;
  last: boolean;
  /** Store the block when it samples as incompressible. */
  store: boolean;
  /** Compresses whole buffers (libdeflate); absent or null: zlib streams with a dictionary. */
  whole?: WholeDeflater | null;
}

export interface BlockResult {
  /** Both of the job's buffers, handed back. */
  input: ArrayBuffer;
  output: ArrayBuffer;
  /** Bytes of raw deflate data at the start of `output`. */
  outputLength: number;
  crc: number;
}

/**
 * Whether the block's bytes look already compressed, judged by the order-0 entropy of a sample of
 * a sixteenth of it (at most 32 KiB): a counting pass on this thread, far cheaper than deflating it.
 * A small sample measures even random bytes below 8 bits (by about 255 / (2·n·ln 2)), so the
 * threshold is lowered by that much.
 */
export function looksIncompressible(block: Uint8Array): boolean {
  const piece = Math.min(MAX_SAMPLE, Math.floor(block.length / (SAMPLES * 16)));
  if (piece < MIN_SAMPLE) return false;
  const step = Math.floor((block.length - piece) / (SAMPLES - 1));
  const counts = new Uint32Array(256);
  for (let i = 0; i < SAMPLES; i++) {
    for (let at = i * step, end = at + piece; at < end; at++) counts[block[at] as number] = (counts[block[at] as number] as number) + 1;
  }
  const total = piece * SAMPLES;
  let entropy = 0;
  for (const count of counts) {
    if (count) entropy -= (count / total) * Math.log2(count / total);
  }
  return entropy > STORE_ENTROPY - 255 / (2 * total * Math.LN2);
}

/** Size of `length` bytes as deflate stored blocks. */
export function storedSize(length: number): number {
  return length + 5 * Math.max(1, Math.ceil(length / STORED_MAX));
}

/**
 * Writes `block` into `out` as deflate stored blocks and returns their size; the stream before them
 * must end on a byte boundary.
 */
export function writeStored(block: Uint8Array, last: boolean, out: Uint8Array): number {
  const count = Math.max(1, Math.ceil(block.length / STORED_MAX));
  let at = 0;
  for (let i = 0; i < count; i++) {
    const part = block.subarray(i * STORED_MAX, (i + 1) * STORED_MAX);
    out[at] = last && i === count - 1 ? 1 : 0;
    out[at + 1] = part.length & 0xff;
    out[at + 2] = part.length >>> 8;
    out[at + 3] = ~part.length & 0xff;
    out[at + 4] = (~part.length >>> 8) & 0xff;
    out.set(part, at + 5);
    at += 5 + part.length;
  }
  return at;
}

/**
 * Deflates `block` into `out` and returns the length, or -1 when the result does not fit. Runs on
 * the libuv thread pool. zlib's output buffers belong to this call alone, so they are freed once
 * the stream has ended.
 */
function deflateInto(
  block: Uint8Array,
  dictionary: Uint8Array | undefined,
  level: number,
  last: boolean,
  out: Uint8Array,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const engine = createDeflateRaw({
      level,
      dictionary,
      finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      chunkSize: Math.min(OUTPUT_CHUNK, out.length + 1024), // small blocks need no large output chunks
    });
    const used = new Set<ArrayBufferLike>();
    let length = 0;
    engine.on('data', (chunk: Buffer) => {
      used.add(chunk.buffer);
      if (length >= 0 && length + chunk.length <= out.length) {
        out.set(chunk, length);
        length += chunk.length;
      } else {
        length = -1;
      }
    });
    engine.once('error', reject);
    engine.once('end', () => {
      for (const buffer of used) freeNow(buffer);
      resolve(length);
    });
    engine.end(block);
  });
}

/**
 * Deflates `block` on its own with `whole` into `out` as a piece that is not final (or, when `last`,
 * a finished stream); -1 when it does not fit in `out`, or when what came back cannot be walked
 * (then the block is stored: larger, never wrong).
 */
export async function deflateWhole(whole: WholeDeflater, block: Uint8Array, level: number, last: boolean, out: Uint8Array): Promise<number> {
  if (!last && out.length <= PIECE_END) return -1;
  const length = await whole.compress(level, block, last ? out : out.subarray(0, out.length - PIECE_END));
  if (length === 0) return -1;
  if (last) return length;
  try {
    return unfinalize(out, length);
  } catch (err) {
    if (err instanceof ArchiveCorruptError) return -1;
    throw err;
  }
}

/**
 * Compresses (or stores) one block into the job's output buffer. Deflate runs on the libuv thread
 * pool, so one thread can keep several blocks compressing at once.
 */
export async function deflateBlock(job: BlockJob): Promise<BlockResult> {
  const all = new Uint8Array(job.input, 0, job.dictLength + job.length);
  const block = all.subarray(job.dictLength);
  const out = new Uint8Array(job.output);
  const crc = crc32(block);
  let outputLength = -1;
  if (!(job.store && looksIncompressible(block))) {
    const dictionary = job.dictLength ? all.subarray(0, job.dictLength) : undefined;
    // Deflate that does not beat storing (sampling can misjudge) is dropped for stored blocks.
    const limit = out.subarray(0, storedSize(block.length) - 1);
    outputLength = job.whole
      ? await deflateWhole(job.whole, block, job.level, job.last, limit)
      : await deflateInto(block, dictionary, job.level, job.last, limit);
  }
  if (outputLength < 0) outputLength = writeStored(block, job.last, out);
  return { input: job.input, output: job.output, outputLength, crc };
}
