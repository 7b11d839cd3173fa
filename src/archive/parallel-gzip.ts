// Parallel gzip in the manner of pigz: the input is cut into blocks that are deflated concurrently
// on the libuv thread pool (block-deflate.ts: by libdeflate where it is there, each block on its
// own, or by zlib, each primed with the previous block's last 32 KiB as dictionary), each ending on
// a byte boundary and not final (the last one finished), then joined under ONE gzip header and
// trailer with the CRC-32 and length of the whole input. One member matters: Home Assistant's
// streaming tar reader stops after the first gzip member. Blocks that sample as incompressible are
// stored, not deflated. Input chunks are released once copied into a block; block buffers are
// reused; each block's output is handed over to whoever uses it up (owned-chunks.ts). No worker
// thread: both compressors already work off this thread, and another isolate would cost more
// memory than the little it would take off this one. With a segment plan, large files' contents are
// compressed as segments (segment-plan.ts) that a segment store can hand back the next time the same
// bytes come by. The stream ends — returns, throws or is stopped — only once no block is in flight.

import { availableParallelism } from 'node:os';
import { assembleBlocks, WINDOW } from './block-assembler.js';
import { deflateBlock, storedSize, type BlockJob, type BlockResult } from './block-deflate.js';
import { blockSegmentKeys, compressSegments, segmentedSize } from './segment-blocks.js';
import type { SegmentPlan } from './segment-plan.js';
import type { SegmentStore } from './segment-store.js';
import { libdeflate, type WholeDeflater } from './libdeflate.js';
import { readAhead } from '../util/concurrency.js';
import { crc32Combine } from '../util/crc32-combine.js';
import { handOver } from '../util/owned-chunks.js';

export const DEFAULT_BLOCK_SIZE = 1 << 20;
/** Blocks of input read ahead of the compressor. */
const INPUT_AHEAD = 1;

export interface ParallelGzipOptions {
  /** 1–9; default 6. */
  level?: number;
  blockSize?: number;
  /** Blocks in flight; default: one per core and one more, at least 3. */
  concurrency?: number;
  /** Modification time for the gzip header, seconds. */
  mtime?: number;
  /** Store blocks that do not compress (default true). */
  storeIncompressible?: boolean;
  /**
   * Told of each block as its output is handed on, in order: every block starts on a byte
   * boundary and inflates given its dictionary, so an index can resume there. The dictionary is the
   * 32 KiB before the block where zlib compressed it, and empty where libdeflate did: those blocks
   * refer to nothing before them.
   */
  onBlock?: (block: GzipBlockStart) => void;
  /** The stretches of the input to compress as segments (see segment-plan.ts). */
  plan?: SegmentPlan;
  /** Where segments are looked up by their bytes and kept once compressed. */
  segments?: SegmentStore;
  /** The whole-buffer compressor; null: zlib. Default: libdeflate where it can be loaded (libdeflate.ts). */
  engine?: WholeDeflater | null;
}

/** Where a block starts, in the input and in the gzip output, and the dictionary it needs (a view: copy what you keep). */
export interface GzipBlockStart {
  inputOffset: number;
  outputOffset: number;
  dictionary: Uint8Array;
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

function defaultConcurrency(): number {
  return Math.max(3, availableParallelism() + 1);
}

/**
 * Compresses a byte stream into a single gzip member using all cores. Input is read ahead, so
 * reading and compressing overlap with the consumer's work.
 */
export async function* parallelGzip(
  input: AsyncIterable<Buffer>,
  options: ParallelGzipOptions = {},
): AsyncGenerator<Buffer> {
  const level = options.level ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError('compression level must be 1–9');
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
  const store = options.storeIncompressible ?? true;
  const header = gzipHeader(level, options.mtime ?? 0);
  const whole = options.engine === undefined ? libdeflate() : options.engine;
  let outputOffset = header.length;
  yield header;

  const inputs: ArrayBuffer[] = [];
  const inFlight: { job: Promise<BlockResult>; length: number; dictLength: number }[] = [];
  let crc = 0;
  let length = 0;
  const next = async (): Promise<Buffer> => {
    const { job, length: blockLength, dictLength } = inFlight.shift() as (typeof inFlight)[number];
    const result = await job;
    options.onBlock?.({ inputOffset: length, outputOffset, dictionary: new Uint8Array(result.input, 0, dictLength) });
    outputOffset += result.outputLength;
    crc = crc32Combine(crc, result.crc, blockLength);
    length += blockLength;
    inputs.push(result.input);
    return handOver(Buffer.from(result.output, 0, result.outputLength));
  };
  // libdeflate compresses each block on its own: its blocks carry no dictionary.
  const window = whole ? 0 : WINDOW;
  const blocks = assembleBlocks(
    readAhead(input, INPUT_AHEAD * blockSize, (c) => c.length),
    blockSize,
    () => inputs.pop() ?? new ArrayBuffer(window + blockSize),
    options.segments ? options.plan : undefined,
    window,
  );
  // The digest of the last 32 KiB of the previous block when it ended with a whole segment.
  let tail: Buffer | null = null;
  try {
    for await (const block of blocks) {
      const { buffer, dictLength, length: blockLength, last } = block;
      const segmented = block.segment && !last && options.segments;
      const output = Buffer.allocUnsafeSlow(segmented ? segmentedSize(blockLength) : storedSize(blockSize)).buffer as ArrayBuffer;
      const blockJob: BlockJob = { input: buffer, dictLength, length: blockLength, output, level, last, store, whole };
      let job: Promise<BlockResult>;
      if (segmented) {
        const keys = blockSegmentKeys(blockJob, tail);
        tail = keys.tail;
        job = compressSegments(options.segments as SegmentStore, keys.keys, blockJob);
      } else {
        tail = null;
        job = deflateBlock(blockJob);
      }
      job.catch(() => undefined); // rejections are observed when awaited in order
      inFlight.push({ job, length: block.length, dictLength });
      while (inFlight.length >= concurrency) yield await next();
    }
    while (inFlight.length) yield await next();
  } finally {
    // Stopped early (by the consumer, a failed block or the input): the blocks still in flight end
    // first, so none of them reaches the segment store after the stream is over.
    await Promise.allSettled(inFlight.map((f) => f.job));
  }

  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  yield trailer;
}
