// Opens the installation's files for the archive without ever reading what a link points at. The
// walk looks at each entry (lstat) some time before its content is read; meanwhile another process
// may replace a file by a symbolic link (to /etc/shadow, to a secret outside the installation) or
// a parent folder by a link elsewhere. So a file is opened with O_NOFOLLOW, and the open file must
// be the one the walk saw (same device and inode); when it is not, it is accepted only if the
// kernel names it by the expected path (/proc/self/fd), as after an ordinary atomic replace.
//
// Folders are opened the same way (O_DIRECTORY|O_NOFOLLOW) and looked into through their open
// descriptor (/proc/self/fd/<fd>/<name>), so a folder swapped for a link is never walked into.
// Where /proc is missing (not Linux), only O_NOFOLLOW and the inode comparison remain: a parent
// folder swapped for a link between the walk's look and the open goes unnoticed there.

import { closeSync, constants, existsSync, fstatSync, openSync, readSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;
/** O_NONBLOCK: a file swapped for a FIFO must not hang the open; it is refused after fstat. */
const OPEN_FILE = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
const OPEN_DIR = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;

/**
 * Where the kernel shows this process's open descriptors, when it does: /proc/<pid>/fd when /proc
 * belongs to this process's pid namespace (a little cheaper to resolve than /proc/self), else
 * /proc/self/fd.
 */
const PROC_FD = procFd();

function procFd(): string | null {
  if (!existsSync('/proc/self/fd')) return null;
  try {
    if (readlinkSync('/proc/self') === String(process.pid)) return `/proc/${process.pid}/fd`;
  } catch {
    // /proc/self is always right
  }
  return '/proc/self/fd';
}

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

/** The path of an entry in a folder held open as `dirFd` (resolved by the kernel through the descriptor). */
export function inOpenDir(dirFd: number, name: string): string {
  return `${PROC_FD}/${dirFd}/${name}`;
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
  let now: string;
  try {
    now = readlinkSync(`${PROC_FD}/${fd}`);
  } catch {
    return false;
  }
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
