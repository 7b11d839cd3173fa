// Cuts a byte stream into the blocks of a pigz-style gzip stream, copying it into buffers taken
// from the caller (so they can be reused) that start with the previous block's last 32 KiB, the
// block's deflate dictionary. Each input chunk is released once it is copied (owned-chunks.ts).

import { release } from '../util/owned-chunks.js';

export const WINDOW = 32 * 1024;

export interface Block {
  /** The dictionary (`dictLength` bytes), then the block (`length` bytes). */
  buffer: ArrayBuffer;
  dictLength: number;
  length: number;
  last: boolean;
}

/**
 * Yields blocks of `blockSize` bytes in buffers from `take` (at least WINDOW + blockSize bytes).
 * A full block is only given out once more input shows whether it is the last one; an empty input
 * gives one empty last block.
 */
export async function* assembleBlocks(input: AsyncIterable<Uint8Array>, blockSize: number, take: () => ArrayBuffer): AsyncGenerator<Block> {
  const begin = (previous: Block | null): { block: Block; bytes: Uint8Array } => {
    const buffer = take();
    const bytes = new Uint8Array(buffer);
    const dictLength = previous ? Math.min(WINDOW, previous.length) : 0;
    if (previous) {
      const end = previous.dictLength + previous.length;
      bytes.set(new Uint8Array(previous.buffer, end - dictLength, dictLength), 0);
    }
    return { block: { buffer, dictLength, length: 0, last: false }, bytes };
  };
  let current = begin(null);
  let full: Block | null = null;
  for await (const chunk of input) {
    for (let at = 0; at < chunk.length; ) {
      if (full) {
        yield full;
        full = null;
      }
      const { block, bytes } = current;
      const n = Math.min(blockSize - block.length, chunk.length - at);
      bytes.set(chunk.subarray(at, at + n), block.dictLength + block.length);
      block.length += n;
      at += n;
      if (block.length === blockSize) {
        full = block;
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
