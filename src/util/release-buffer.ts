// Gives an ArrayBuffer's memory back at once instead of at some later garbage collection. Node's
// zlib and crypto return a fresh buffer per call; at backup speed, buffers that wait for the
// collector add tens of MiB to the resident size. Transferring a buffer detaches it and moves its
// memory into the message; a message posted on a closed port is dropped, and its memory freed.
// Only for buffers that nothing else can still see: a detached buffer reads as empty.
//
// A producer that returns a fresh buffer and keeps no reference to it can say so with
// passOwnership; a final consumer that is done with such a chunk (it has been copied or consumed)
// frees it with releaseOwned. Chunks not so marked, or only part of one, are left alone.

import { MessageChannel, type MessagePort } from 'node:worker_threads';

/** Smaller buffers are left to the collector (Node's shared pool, among others, lives there). */
const MIN_BYTES = 16 * 1024;

/**
 * Closing a port takes effect a moment later; messages posted meanwhile are freed then. So the port
 * is closed when this module loads, well before the first large release.
 */
const sink: MessagePort = (() => {
  const { port1, port2 } = new MessageChannel();
  port1.close();
  return port2;
})();

/** Frees `buffer` now; it is detached (zero length) afterwards. Ignores small and shared buffers. */
export function releaseNow(buffer: ArrayBufferLike): void {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < MIN_BYTES) return;
  try {
    sink.postMessage(null, [buffer]);
  } catch {
    // An untransferable buffer (Node marks its shared pools so) stays with the collector.
  }
}

/** Buffers whose whole memory now belongs to whoever holds the chunk (see passOwnership). */
const owned = new WeakSet<ArrayBuffer>();

/** Whether `chunk` spans its whole ArrayBuffer, so that nothing else can be a view into it. */
export function spansWholeBuffer(chunk: Uint8Array): boolean {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
}

/**
 * Marks a fresh chunk that its producer keeps no reference to: a final consumer may free it with
 * releaseOwned once done with it. Returns the chunk. Only a chunk that spans its whole buffer is
 * marked.
 */
export function passOwnership<T extends Uint8Array>(chunk: T): T {
  const buffer = chunk.buffer;
  if (buffer instanceof ArrayBuffer && buffer.byteLength >= MIN_BYTES && spansWholeBuffer(chunk)) owned.add(buffer);
  return chunk;
}

/**
 * Frees `chunk` if its producer passed ownership of it (passOwnership) and it is still the whole
 * buffer. For the last consumer of a chunk only: every other view of it reads as empty afterwards.
 */
export function releaseOwned(chunk: Uint8Array): void {
  const buffer = chunk.buffer;
  if (buffer instanceof ArrayBuffer && spansWholeBuffer(chunk) && owned.delete(buffer)) releaseNow(buffer);
}
