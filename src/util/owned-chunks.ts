// Owned chunks: the one way the archive pipeline and the file writer give large buffers back at
// once instead of at some later garbage collection. Node's zlib, the ciphers and file reads return
// a fresh buffer per call; at backup speed, buffers waiting for the collector add tens of MiB to
// the resident size.
//
// A producer that yields a chunk and will never read its buffer again hands the chunk over
// (handOver). Whoever uses that chunk up — copies it, encrypts it, feeds it to zlib — releases it
// (release), which frees its whole buffer now. Ownership belongs to the chunk object the producer
// yielded: a slice or a copy of it is not owned, so releasing one does nothing, and a chunk that was
// never handed over is left to the collector. Freeing works by transferring the buffer into a
// message on a closed port: it is detached (reads as empty) and its memory returned at once.

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
export function freeNow(buffer: ArrayBufferLike): void {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < MIN_BYTES) return;
  try {
    sink.postMessage(null, [buffer]);
  } catch {
    // An untransferable buffer (Node marks its shared pools so) stays with the collector.
  }
}

/** Chunks whose buffer now belongs to whoever uses them up. */
const owned = new WeakSet<Uint8Array>();

/**
 * Hands `chunk` over: its producer will not read its buffer again once the chunk is used up. The
 * chunk may be a view of part of the buffer (its producer's last view of it). Returns the chunk.
 */
export function handOver<T extends Uint8Array>(chunk: T): T {
  if (chunk.buffer instanceof ArrayBuffer && chunk.buffer.byteLength >= MIN_BYTES) owned.add(chunk);
  return chunk;
}

/** The chunk is used up: its buffer is freed now if the chunk was handed over; else nothing. */
export function release(chunk: Uint8Array): void {
  if (owned.delete(chunk)) freeNow(chunk.buffer);
}
