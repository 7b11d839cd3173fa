// Handing cipher output to a consumer that is done with each chunk before it asks for the next
// (a file writer that copies, a hash): such output can be freed at once instead of waiting for the
// garbage collector, which keeps a fast backup's memory flat.

import { releaseNow, spansWholeBuffer } from '../../util/release-buffer.js';

export interface EncryptOptions {
  /**
   * The consumer is done with each output chunk when it requests the next one: each chunk is then
   * freed (and reads as empty). Default false: chunks stay valid for as long as they are held.
   */
  transient?: boolean;
}

/**
 * Yields the buffers in order; when `transient`, frees each once the next item is requested. Only
 * a chunk that is its whole allocation (as Node's cipher output is) is freed: a view into a larger
 * buffer may share it with something else.
 */
export function* handOver(buffers: Iterable<Buffer>, transient = false): Generator<Buffer> {
  for (const buffer of buffers) {
    yield buffer;
    if (transient && spansWholeBuffer(buffer)) releaseNow(buffer.buffer);
  }
}
