// Compresses a block made of whole segments (segment-plan.ts): every segment is looked up in the
// segment store by its key, and those not stored are compressed into pieces of their own
// (byte-aligned, not final) that the store can keep. With libdeflate each such segment is compressed
// alone, so its piece inflates whatever came before it. With zlib each run of them goes through one
// stream, primed with the 32 KiB before the run and flushed at every segment boundary, so each piece
// inflates given the 32 KiB before it — one stream per run, not one per segment. A segment that
// samples as incompressible is stored (and ends a run). The block's output is the segments' pieces
// in order and its CRC-32 is combined from theirs.

import { constants, crc32, createDeflateRaw } from 'node:zlib';
import { crc32Combine } from '../util/crc32-combine.js';
import { freeNow } from '../util/owned-chunks.js';
import { deflateWhole, looksIncompressible, storedSize, writeStored, type BlockJob, type BlockResult } from './block-deflate.js';
import { WINDOW } from './block-assembler.js';
import { SEGMENT_SIZE } from './segment-plan.js';
import { aloneSegmentKey, segmentDigests, type CachedSegment, type SegmentStore } from './segment-store.js';
import type { WholeDeflater } from './libdeflate.js';

/** Output room for `length` bytes cut into segments, each possibly stored. */
export function segmentedSize(length: number): number {
  let size = 0;
  for (let at = 0; at < length; at += SEGMENT_SIZE) size += storedSize(Math.min(SEGMENT_SIZE, length - at));
  return Math.max(size, storedSize(0));
}

/**
 * The keys of a block's segments; with zlib, `tail` is the digest of the 32 KiB before the block
 * when known (segments compressed alone have no use for it).
 */
export function blockSegmentKeys(job: BlockJob, tail: Buffer | null): { keys: Buffer[]; tail: Buffer | null } {
  const all = new Uint8Array(job.input, 0, job.dictLength + job.length);
  const keys: Buffer[] = [];
  if (job.whole) {
    for (let at = job.dictLength; at < all.length; at += SEGMENT_SIZE) {
      keys.push(aloneSegmentKey(job.level, all.subarray(at, Math.min(at + SEGMENT_SIZE, all.length))));
    }
    return { keys, tail: null };
  }
  let dictDigest = job.dictLength ? tail : null;
  for (let at = job.dictLength; at < all.length; at += SEGMENT_SIZE) {
    const dictionary = at === job.dictLength ? all.subarray(0, job.dictLength) : all.subarray(at - WINDOW, at);
    const digests = segmentDigests(job.level, dictionary, all.subarray(at, Math.min(at + SEGMENT_SIZE, all.length)), dictDigest);
    keys.push(digests.key);
    dictDigest = digests.tail;
  }
  return { keys, tail: dictDigest };
}

/**
 * Deflates consecutive segments through one stream that sync-flushes at the end of every write, so
 * each segment is one write and its piece is the output seen when the write is done.
 */
function deflateRun(segments: Uint8Array[], dictionary: Uint8Array | undefined, level: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const engine = createDeflateRaw({
      level,
      dictionary,
      flush: constants.Z_SYNC_FLUSH,
      finishFlush: constants.Z_SYNC_FLUSH,
      chunkSize: SEGMENT_SIZE + 1024,
    });
    const pieces: Buffer[] = [];
    let current: Buffer[] = [];
    const used = new Set<ArrayBufferLike>();
    engine.on('data', (chunk: Buffer) => {
      current.push(chunk);
      used.add(chunk.buffer);
    });
    engine.once('error', reject);
    for (const segment of segments) {
      engine.write(segment, () => {
        pieces.push(Buffer.concat(current));
        current = [];
      });
    }
    engine.end();
    // What the end adds after the last write is one more empty sync block: not needed. zlib's
    // output buffers are this stream's alone: copied into the pieces, they are freed at once.
    engine.once('end', () => {
      for (const buffer of used) freeNow(buffer);
      if (pieces.length !== segments.length) reject(new Error('a segment run ended early'));
      else resolve(pieces);
    });
  });
}

/** A block's segments, those to compress (in order), and where their pieces go. */
interface SegmentWork {
  segments: Uint8Array[];
  pending: number[];
  made: (CachedSegment | null)[];
}

/**
 * Compresses each pending segment alone, straight into its slot of `out` (each slot as large as the
 * segment stored, so nothing needs a buffer of its own); returns the segments placed so, which the
 * caller moves down into place.
 */
async function compressAlone({ pending, segments, made }: SegmentWork, whole: WholeDeflater, out: Uint8Array, level: number): Promise<Set<number>> {
  await Promise.all(
    pending.map(async (i) => {
      const segment = segments[i] as Uint8Array;
      const at = i * storedSize(SEGMENT_SIZE);
      const slot = out.subarray(at, at + storedSize(segment.length));
      const length = await deflateWhole(whole, segment, level, false, slot.subarray(0, slot.length - 1));
      made[i] = { crc: crc32(segment), length: segment.length, payload: slot.subarray(0, length < 0 ? writeStored(segment, false, slot) : length) };
    }),
  );
  return new Set(pending);
}

/** Compresses the pending segments with zlib, one stream per run of consecutive ones; none is placed in `out`. */
async function compressInRuns({ pending, segments, made }: SegmentWork, all: Uint8Array, job: BlockJob): Promise<Set<number>> {
  const runs: number[][] = [];
  for (const i of pending) {
    const run = runs[runs.length - 1];
    if (run && run[run.length - 1] === i - 1) run.push(i);
    else runs.push([i]);
  }
  await Promise.all(
    runs.map(async (run) => {
      const start = job.dictLength + (run[0] as number) * SEGMENT_SIZE;
      const dictionary = all.subarray(Math.max(0, start - WINDOW), start);
      const pieces = await deflateRun(run.map((i) => segments[i] as Uint8Array), dictionary.length ? dictionary : undefined, job.level);
      run.forEach((i, n) => {
        const segment = segments[i] as Uint8Array;
        let payload: Uint8Array = pieces[n] as Buffer;
        if (payload.length >= storedSize(segment.length)) {
          const stored = new Uint8Array(storedSize(segment.length));
          payload = stored.subarray(0, writeStored(segment, false, stored));
        }
        made[i] = { crc: crc32(segment), length: segment.length, payload };
      });
    }),
  );
  return new Set();
}

/** A block of whole segments: stored ones copied, the others compressed (alone or in runs) and kept. */
export async function compressSegments(store: SegmentStore, keys: Buffer[], job: BlockJob): Promise<BlockResult> {
  const all = new Uint8Array(job.input, 0, job.dictLength + job.length);
  const segments = keys.map((_, i) => all.subarray(job.dictLength + i * SEGMENT_SIZE, Math.min(job.dictLength + (i + 1) * SEGMENT_SIZE, all.length)));
  // A stored piece that could not be this segment's (another length, more than storing it) is not used.
  const found = (await store.getAll(keys)).map((f, i) =>
    f && f.length === (segments[i] as Uint8Array).length && f.payload.length <= storedSize(f.length) ? f : null,
  );
  const made: (CachedSegment | null)[] = found.map(() => null);
  /** The segments to compress, in order. */
  const pending: number[] = [];
  for (let i = 0; i < segments.length; i++) {
    if (found[i]) continue;
    const segment = segments[i] as Uint8Array;
    if (job.store && looksIncompressible(segment)) {
      const stored = new Uint8Array(storedSize(segment.length));
      made[i] = { crc: crc32(segment), length: segment.length, payload: stored.subarray(0, writeStored(segment, false, stored)) };
    } else pending.push(i);
  }
  const out = new Uint8Array(job.output);
  const work = { segments, pending, made };
  const inPlace = job.whole ? await compressAlone(work, job.whole, out, job.level) : await compressInRuns(work, all, job);
  let outputLength = 0;
  let crc = 0;
  for (let i = 0; i < segments.length; i++) {
    const piece = (found[i] ?? made[i]) as CachedSegment;
    const length = piece.payload.length;
    // Pieces are never larger than their slots, so a piece moved down overwrites no later slot.
    if (inPlace.has(i)) out.copyWithin(outputLength, piece.payload.byteOffset, piece.payload.byteOffset + length);
    else out.set(piece.payload, outputLength);
    crc = i === 0 ? piece.crc : crc32Combine(crc, piece.crc, piece.length);
    if (!found[i]) await store.put(keys[i] as Buffer, { ...piece, payload: out.subarray(outputLength, outputLength + length) });
    outputLength += length;
  }
  // Every other piece is copied into the output (and the store): their buffers go now, not at the next collection.
  for (const piece of found) if (piece) freeNow(piece.payload.buffer);
  made.forEach((piece, i) => {
    if (piece && !inPlace.has(i)) freeNow(piece.payload.buffer);
  });
  return { input: job.input, output: job.output, outputLength, crc };
}
