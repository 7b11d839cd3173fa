// Parallel gzip in the manner of pigz: the input is cut into blocks that are deflated concurrently
// on the thread pool, each primed with the previous block's last 32 KiB as dictionary and ended
// with a sync flush (the last one finished), then joined under ONE gzip header and trailer with the
// CRC-32 and length of the whole input. One member matters: Home Assistant's streaming tar reader
// stops after the first gzip member. Blocks that sample as incompressible are stored, not deflated.

import { availableParallelism } from 'node:os';
import { constants, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';
import { promisify } from 'node:util';
import { rechunk } from '../util/chunks.js';

const deflateRawAsync = promisify<Buffer, ZlibOptions, Buffer>(deflateRaw);

export const DEFAULT_BLOCK_SIZE = 1 << 20;
const WINDOW = 32 * 1024;
const SAMPLE = 8 * 1024;
const SAMPLES = 4;
/** A sample that shrinks by less than this is treated as already compressed. */
const STORE_RATIO = 0.97;

export interface ParallelGzipOptions {
  /** 1–9; default 6. */
  level?: number;
  blockSize?: number;
  /** Blocks in flight; default: number of cores + 1. */
  concurrency?: number;
  /** Modification time for the gzip header, seconds. */
  mtime?: number;
  /** Store blocks that do not compress (default true). */
  storeIncompressible?: boolean;
}

/** The gzip header Home Assistant's streaming writer emits: FNAME set with an empty name, OS 255. */
export function gzipHeader(level: number, mtime: number): Buffer {
  const h = Buffer.alloc(11);
  h[0] = 0x1f;
  h[1] = 0x8b;
  h[2] = 0x08;
  h[3] = 0x08;
  h.writeUInt32LE(mtime >>> 0, 4);
  h[8] = level >= 9 ? 2 : level <= 1 ? 4 : 0;
  h[9] = 0xff;
  h[10] = 0;
  return h;
}

async function looksIncompressible(block: Buffer): Promise<boolean> {
  if (block.length < SAMPLE * SAMPLES * 2) return false;
  const step = Math.floor((block.length - SAMPLE) / (SAMPLES - 1));
  const parts: Buffer[] = [];
  for (let i = 0; i < SAMPLES; i++) parts.push(block.subarray(i * step, i * step + SAMPLE));
  const sample = Buffer.concat(parts);
  const out = await deflateRawAsync(sample, { level: 1, chunkSize: sample.length + 1024 });
  return out.length > sample.length * STORE_RATIO;
}

async function compressBlock(
  block: Buffer,
  dictionary: Buffer | undefined,
  level: number,
  last: boolean,
  store: boolean,
): Promise<Buffer> {
  const useLevel = store && (await looksIncompressible(block)) ? 0 : level;
  const opts: ZlibOptions = {
    level: useLevel,
    finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
    // One output buffer per block: zlib's default 16 KiB chunks cost a thread-pool round trip each.
    chunkSize: block.length + (block.length >> 8) + 1024,
  };
  if (dictionary && useLevel > 0) opts.dictionary = dictionary;
  return deflateRawAsync(block, opts);
}

/** Compresses a byte stream into a single gzip member using all cores. */
export async function* parallelGzip(
  input: AsyncIterable<Buffer>,
  options: ParallelGzipOptions = {},
): AsyncGenerator<Buffer> {
  const level = options.level ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError('compression level must be 1–9');
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const concurrency = options.concurrency ?? availableParallelism() + 1;
  const store = options.storeIncompressible ?? true;
  yield gzipHeader(level, options.mtime ?? 0);

  let crc = 0;
  let length = 0;
  const inFlight: Promise<Buffer>[] = [];
  let previous: Buffer | undefined;
  let held: Buffer | undefined;

  const submit = (block: Buffer, last: boolean) => {
    const dict = previous ? previous.subarray(Math.max(0, previous.length - WINDOW)) : undefined;
    const job = compressBlock(block, dict, level, last, store);
    job.catch(() => undefined); // rejections are observed when awaited in order
    inFlight.push(job);
    previous = block;
  };

  // One block is held back so the final one can be finished (Z_FINISH) instead of sync-flushed.
  for await (const block of rechunk(input, blockSize)) {
    crc = crc32(block, crc);
    length += block.length;
    if (held) submit(held, false);
    held = block;
    while (inFlight.length >= concurrency) yield await (inFlight.shift() as Promise<Buffer>);
  }
  submit(held ?? Buffer.alloc(0), true);
  while (inFlight.length) yield await (inFlight.shift() as Promise<Buffer>);

  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  yield trailer;
}
