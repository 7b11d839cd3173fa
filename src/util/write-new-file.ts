// Creates a file that must not exist yet and writes it whole: open (exclusive, never following a
// symlink), write, chmod, set times, close — chained fs callbacks on a plain descriptor, which
// costs the calling thread far less than the promise API's FileHandle for thousands of small files.

import { close, constants, fchmod, futimes, open, write } from 'node:fs';

const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Rejects with the system error (e.g. EEXIST) when the file cannot be created. */
export function writeNewFile(path: string, data: Uint8Array, mode: number, timeSeconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    open(path, FLAGS, 0o600, (openErr, fd) => {
      if (openErr) return reject(openErr);
      const finish = (err: Error | null) => close(fd, (closeErr) => (err ?? closeErr ? reject(err ?? closeErr) : resolve()));
      const setMeta = () =>
        fchmod(fd, mode, (err) => (err ? finish(err) : futimes(fd, timeSeconds, timeSeconds, (e) => finish(e))));
      const writeFrom = (at: number): void => {
        if (at >= data.length) return setMeta();
        write(fd, data, at, data.length - at, at, (err, written) => (err ? finish(err) : writeFrom(at + written)));
      };
      writeFrom(0);
    });
  });
}
