// Opens the installation's files for the archive without ever reading what a link points at. The
// walk looks at each entry (lstat) some time before its content is read; meanwhile another process
// may replace a file by a symbolic link (to /etc/shadow, to a secret outside the installation) or
// a parent folder by a link elsewhere. Folders are opened with O_DIRECTORY|O_NOFOLLOW and looked
// into through their descriptor (util/proc-fd.ts), so a folder swapped for a link is never walked
// into; small files are read the same way, by their name in their open folder, with O_NOFOLLOW.
// A file opened later by its path (a large one, streamed when the archive gets to it) must be the
// one the walk saw (same device and inode), or else be named by the kernel with the expected path,
// as after an ordinary atomic replace — never a file reached through a swapped parent folder.
// Where /proc is missing (not Linux), only O_NOFOLLOW and the inode comparison remain: a parent
// folder swapped for a link before the walk looks at the file goes unnoticed there.

import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROC_FD, pathOfFd } from '../util/proc-fd.js';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;
/** O_NONBLOCK: a file swapped for a FIFO must not hang the open; it is refused after fstat. */
const OPEN_FILE = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
const OPEN_DIR = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;

/** What the walk saw of a file: its identity, and the path the kernel should report for it. */
export interface SeenFile {
  abs: string;
  dev: bigint;
  ino: bigint;
  /** The file's real path (symlinks in the root resolved); null when it cannot be checked. */
  real: string | null;
  /** The walk looked at it through an open folder: a matching inode proves it is the same file. */
  pinned: boolean;
}

/** The file now at the path is not the one the walk saw (what it is, for the warning). */
export class SourceSwapped extends Error {
  constructor(readonly now: 'symlink' | 'elsewhere' | 'not-a-file') {
    super(`the file was replaced (${now})`);
  }
}

/** Opens a folder without following a link; null when /proc is missing (folders are then not pinned). */
export function openDirNoFollow(path: string): number | null {
  return PROC_FD ? openSync(path, OPEN_DIR) : null;
}

/** The real path of `path` (its parents' links resolved, not a link in its last component). */
export function realPathOf(path: string): string | null {
  if (!PROC_FD) return null;
  try {
    return join(realpathSync(dirname(path)), path.slice(dirname(path).length + 1));
  } catch {
    return null;
  }
}

/** Whether the kernel names the open `fd` by `real` (or by `real` since deleted). */
function namedAs(fd: number, real: string | null): boolean {
  if (!PROC_FD || real === null) return true;
  const now = pathOfFd(fd);
  return now === real || now === `${real} (deleted)`;
}

/** Opens a file for reading, never through a link in its last component (SourceSwapped then). */
export function openFileNoFollow(at: string): number {
  try {
    return openSync(at, OPEN_FILE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new SourceSwapped('symlink');
    throw err;
  }
}

/**
 * Reads into `buf` from `at` (a file opened here); a file swapped for a FIFO or a folder since the
 * walk looked is SourceSwapped, not an I/O error.
 */
export function readNotSwapped(fd: number, buf: Buffer, at: number): number {
  try {
    return readSync(fd, buf, at, buf.length - at, at);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EISDIR') throw new SourceSwapped('not-a-file');
    throw err;
  }
}

/**
 * Opens a file the walk saw, for reading, or throws SourceSwapped when what is there now is a link,
 * not a regular file, or a file outside where the walk saw it. Returns the descriptor and its size.
 */
export function openSeenFile(seen: SeenFile): { fd: number; size: number } {
  const fd = openFileNoFollow(seen.abs);
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new SourceSwapped('not-a-file');
    const same = st.dev === seen.dev && st.ino === seen.ino;
    if (!(same && seen.pinned) && !namedAs(fd, seen.real)) throw new SourceSwapped('elsewhere');
    return { fd, size: Number(st.size) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** A warning for a file found replaced, saying what is in the backup instead. */
export function swappedWarning(rel: string, err: SourceSwapped, instead: string): string {
  const now = err.now === 'symlink' ? 'a symbolic link' : err.now === 'not-a-file' ? 'something that is not a regular file' : 'a file from elsewhere (a parent folder became a link)';
  return `${rel} was replaced by ${now} while the backup ran; ${instead}`;
}
