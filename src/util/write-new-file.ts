// Creates a file that must not exist yet and writes it whole, synchronously: open (exclusive,
// never following a symlink, with its final mode), write, set times, close. The mode is set again
// explicitly only when the umask would have stripped some of its bits.

import { closeSync, constants, fchmodSync, futimesSync, openSync, writeSync } from 'node:fs';
import { currentUmask } from './sync-slices.js';

const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Throws the system error (e.g. EEXIST) when the file cannot be created. */
export function writeNewFileSync(path: string, data: Uint8Array, mode: number, timeSeconds: number): void {
  const fd = openSync(path, FLAGS, mode);
  try {
    for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at, at);
    const umask = currentUmask();
    if (umask === null || (mode & umask) !== 0) fchmodSync(fd, mode);
    futimesSync(fd, timeSeconds, timeSeconds);
  } finally {
    closeSync(fd);
  }
}
