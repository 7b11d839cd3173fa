// Gives an ArrayBuffer's memory back at once instead of at some later garbage collection. Node's
// zlib and crypto return a fresh buffer per call; at backup speed, buffers that wait for the
// collector add tens of MiB to the resident size. Transferring a buffer detaches it and moves its
// memory into the message; a message posted on a closed port is dropped, and its memory freed.
// Only for buffers that nothing else can still see: a detached buffer reads as empty.

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
