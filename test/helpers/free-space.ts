// A file system short of space, without filling one: while `fn` runs, `statfs` (as Lifeboat imports
// it from node:fs/promises) reports `space.free` bytes free, which the test may change meanwhile.
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

export async function withFreeSpace<T>(space: { free: number }, fn: () => Promise<T>): Promise<T> {
  const statfs = fsp.statfs;
  fsp.statfs = (async (path: string) => ({ ...(await statfs(path)), bsize: 1, bavail: space.free })) as typeof statfs;
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    fsp.statfs = statfs;
    syncBuiltinESMExports();
  }
}
