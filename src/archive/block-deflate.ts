// Compresses one block of a pigz-style gzip stream: raw deflate primed with the previous 32 KiB as
// dictionary and ended with a sync flush (the last block finished), or — when a sample shows the
// block does not compress — deflate stored blocks written directly. The result goes into a buffer
// the caller provides (and reuses). Also returns the block's CRC-32, so the whole stream's CRC can
// be combined from the blocks'.

import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, deflateRawSync, type ZlibOptions } from 'node:zlib';

const deflateRawAsync = promisify<Uint8Array, ZlibOptions, Buffer>(deflateRaw);

const SAMPLE = 8 * 1024;
const SAMPLES = 4;
/** A sample that shrinks by less than this is treated as already compressed. */
const STORE_RATIO = 0.97;
const STORED_MAX = 0xffff;
const OUTPUT_CHUNK = 64 * 1024;

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
}

export interface BlockResult {
  /** Both of the job's buffers, handed back. */
  input: ArrayBuffer;
  output: ArrayBuffer;
  /** Bytes of raw deflate data at the start of `output`. */
  outputLength: number;
  crc: number;
}

export function looksIncompressible(block: Uint8Array): boolean {
  if (block.length < SAMPLE * SAMPLES * 2) return false;
  const step = Math.floor((block.length - SAMPLE) / (SAMPLES - 1));
  const sample = new Uint8Array(SAMPLE * SAMPLES);
  for (let i = 0; i < SAMPLES; i++) sample.set(block.subarray(i * step, i * step + SAMPLE), i * SAMPLE);
  const out = deflateRawSync(sample, { level: 1, chunkSize: sample.length + 1024 });
  return out.length > sample.length * STORE_RATIO;
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
    const compressed = await deflateRawAsync(block, {
      level: job.level,
      dictionary: job.dictLength ? all.subarray(0, job.dictLength) : undefined,
      finishFlush: job.last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      chunkSize: OUTPUT_CHUNK,
    });
    // Deflate that does not beat storing (sampling can misjudge) is dropped for stored blocks.
    if (compressed.length < storedSize(block.length)) {
      out.set(compressed, 0);
      outputLength = compressed.length;
    }
  }
  if (outputLength < 0) outputLength = writeStored(block, job.last, out);
  return { input: job.input, output: job.output, outputLength, crc };
}
