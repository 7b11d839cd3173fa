// The paths a restore's swap renames, below the installation or the staging folder: relative paths
// whose every component is a plain name (never empty, `.`, `..`, nor holding `/` or NUL), and the
// walk that makes sure every folder on the way to one is a real folder — not a symbolic link, which
// would carry the rename somewhere else. Checked with lstat, component by component, right before
// each rename; a way that is not all real folders is refused.

import { lstat, open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BackupManagerError } from '../util/errors.js';

/** A way to a restored path that Lifeboat will not rename through (a symbolic link, a file). */
export class UnsafeSwapPathError extends BackupManagerError {
  override readonly code: string = 'restore_path_unsafe';
}

/** True for `a`, `a/b/c`; false for '', `/a`, `a/`, `a//b`, `./a`, `a/../b`, NUL anywhere. */
export function isSafeRelativePath(path: string): boolean {
  return path.length > 0 && path.split('/').every((c) => c !== '' && c !== '.' && c !== '..' && !c.includes('\0'));
}

export const SwapPathSchema = z.string().max(4096).refine(isSafeRelativePath, 'not a relative path of plain names');

/** The folders on the way to `path`, outermost first: `a/b/c` → `a`, `a/b`. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** The folder `path` lies in, '' for a top-level name. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** True when `path` lies strictly below `folder`. */
export function isBelow(path: string, folder: string): boolean {
  return path.startsWith(`${folder}/`);
}

/**
 * Walks the folders on the way to `path` below `base` without following anything: each must be a
 * real folder, or missing (then so is everything after it). Resolves with the missing ones,
 * outermost first; a symbolic link or anything else on the way is an UnsafeSwapPathError.
 */
export async function missingOnTheWay(base: string, path: string): Promise<string[]> {
  const ancestors = ancestorsOf(path);
  for (const [i, folder] of ancestors.entries()) {
    const st = await lstat(join(base, folder)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (st === null) return ancestors.slice(i);
    if (st.isSymbolicLink()) throw new UnsafeSwapPathError(`${join(base, folder)} is a symbolic link; Lifeboat does not restore ${path} through it`);
    if (!st.isDirectory()) throw new UnsafeSwapPathError(`${join(base, folder)} is not a folder, so ${path} cannot be restored below it`);
  }
  return [];
}

/** As missingOnTheWay, when every folder on the way must be there. */
export async function requireWay(base: string, path: string): Promise<void> {
  const missing = await missingOnTheWay(base, path);
  if (missing.length) throw new UnsafeSwapPathError(`${join(base, missing[0] as string)} is missing on the way to ${path}`);
}

/** Gives a folder Lifeboat just made its mode through the folder itself (never through a link). */
export async function chmodFolder(path: string, mode: number): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
}
