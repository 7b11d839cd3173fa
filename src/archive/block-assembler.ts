// Cuts a byte stream into the blocks of a pigz-style gzip stream, copying it into buffers taken
// from the caller (so they can be reused) that start with the previous block's last 32 KiB, the
// block's deflate dictionary (none for a compressor that takes none). Each input chunk is released
// once it is copied (owned-chunks.ts).
// With a segment plan, a block ends where a stretch it names begins, and the stretch is cut into
// blocks of whole segments (SEGMENT_SIZE from the stretch's start) whose first has no dictionary,
// so each segment's compressed form can depend on the file's bytes alone.

import { release } from '../util/owned-chunks.js';
import { SEGMENT_SIZE, type SegmentPlan } from './segment-plan.js';

export const WINDOW = 32 * 1024;

export interface Block {
  /** The dictionary (`dictLength` bytes), then the block (`length` bytes). */
  buffer: ArrayBuffer;
  dictLength: number;
  length: number;
  last: boolean;
  /** Whole segments of a stretch the plan named (reusable from a cache), not an ordinary block. */
  segment: boolean;
}

interface Open {
  block: Block;
  bytes: Uint8Array;
  /** The most bytes this block takes. */
  limit: number;
}

/**
 * Yields blocks of at most `blockSize` bytes (a multiple of SEGMENT_SIZE when a plan is given) in
 * buffers from `take`, each at least `window` + blockSize bytes, each after up to `window` bytes
 * of dictionary. A full block is only given out once more input shows whether it is the last one;
 * an empty input gives one empty last block.
 */
export async function* assembleBlocks(
  input: AsyncIterable<Uint8Array>,
  blockSize: number,
  take: () => ArrayBuffer,
  plan?: SegmentPlan,
  window = WINDOW,
): AsyncGenerator<Block> {
  if (plan && blockSize % SEGMENT_SIZE !== 0) throw new RangeError('with a segment plan, the block size must be a multiple of the segment size');
  let position = 0;
  const begin = (previous: Block | null): Open => {
    const region = plan?.at(position) ?? null;
    const segment = region !== null && region.start <= position;
    const limit = segment ? Math.min(blockSize, region.end - position) : blockSize;
    const buffer = take();
    const bytes = new Uint8Array(buffer);
    const firstOfRegion = segment && region.start === position;
    const dictLength = previous && !firstOfRegion ? Math.min(window, previous.length) : 0;
    if (previous && dictLength) {
      const end = previous.dictLength + previous.length;
      bytes.set(new Uint8Array(previous.buffer, end - dictLength, dictLength), 0);
    }
    return { block: { buffer, dictLength, length: 0, last: false, segment }, bytes, limit };
  };
  /** Bytes the open block may still take: up to its limit, and an ordinary block up to the next region. */
  const room = (open: Open): number => {
    let left = open.limit - open.block.length;
    if (!open.block.segment && plan) {
      const next = plan.at(position);
      if (next && next.start >= position) left = Math.min(left, next.start - position);
    }
    return left;
  };
  let previous: Block | null = null;
  let current = begin(null);
  let full: Block | null = null;
  for await (const chunk of input) {
    for (let at = 0; at < chunk.length; ) {
      if (full) {
        yield full;
        full = null;
      }
      const left = room(current);
      if (left === 0) {
        // A region starts here: an ordinary block ends; an empty one is begun again as its segment.
        if (current.block.length > 0) {
          full = current.block;
          previous = current.block;
        }
        current = begin(previous);
        continue;
      }
      const { block, bytes } = current;
      const n = Math.min(left, chunk.length - at);
      bytes.set(chunk.subarray(at, at + n), block.dictLength + block.length);
      block.length += n;
      at += n;
      position += n;
      if (n === left) {
        full = block;
        previous = block;
        current = begin(block);
      }
    }
    release(chunk);
  }
  if (full && current.block.length === 0) {
    full.last = true;
    yield full;
    return;
  }
  if (full) yield full;
  current.block.last = true;
  yield current.block;
}
