// An inner-archive file entry of whole MiB made up as it is read, for the tests and benchmarks that
// need backups of a gigabyte or more without holding (or writing) the data first.

import type { InnerEntry } from '../../src/archive/inner-tar-writer.js';

const MiB = 1 << 20;

/** A `mib` MiB file whose i-th MiB is `block(i)` (a fresh 1 MiB buffer each time). */
export function streamedFile(path: string, mib: number, block: (i: number) => Buffer, mtimeNs = 1_767_225_600_000_000_000n): InnerEntry {
  return {
    path,
    type: 'file',
    mode: 0o644,
    mtimeNs,
    size: mib * MiB,
    data: async function* () {
      for (let i = 0; i < mib; i++) yield block(i);
    },
  };
}

/** `pattern` (1 MiB) with the block number in its first bytes: no two blocks are the same. */
export function numbered(pattern: Buffer): (i: number) => Buffer {
  return (i) => {
    const c = Buffer.from(pattern);
    c.writeUInt32LE(i, 0);
    return c;
  };
}
