// The folders of one extraction, held open on the extraction worker so that every folder, file,
// hard link and symbolic link is created in the folder Lifeboat made — never through a symbolic
// link another process swapped in for one of them meanwhile. Node.js has no openat(); on Linux an
// entry is named through its parent's descriptor (util/proc-fd.ts), and the kernel resolves that to
// the folder already open, whatever happened to its path. Descriptors are kept in a small cache
// (most recently used first); a folder not in it is opened again from its parent, one level at a
// time, each with O_DIRECTORY|O_NOFOLLOW: a folder replaced by a link or a file is then refused.
// At the end every folder is checked to still be at its place (verify), so a swap is reported even
// when the writes it aimed at went, harmlessly, into the real folder.
//
// Without /proc (not Linux), entries are named by their path and only the last component is
// protected (O_NOFOLLOW, lstat checks): a parent folder swapped for a link between two entries
// could redirect a write there. That residual risk is documented in the README.

import { closeSync, constants, fstatSync, lstatSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROC_FD, inOpenDir } from '../util/proc-fd.js';

const OPEN_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Folder descriptors kept open at once (well below the usual limit of 1 024 per process). */
export const MAX_OPEN_DIRS = 128;

/** An entry refused for safety (reported as UnsafeEntryError, not as an I/O error). */
export class UnsafeOp extends Error {}

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash === -1 ? '' : rel.slice(0, slash);
}

function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

function replaced(rel: string): UnsafeOp {
  return new UnsafeOp(
    `The folder ${rel || '(the target)'} was replaced (by a symbolic link or another file) while the backup was being extracted; refusing to write through it. Something else is changing the target folder: stop it and extract again`,
  );
}

export class ExtractDirs {
  private readonly rootFd: number;
  /** rel → descriptor, least recently used first. */
  private readonly open = new Map<string, number>();
  private lastRel = '';
  private lastFd: number;

  /** Opens the target folder (following a link the user named it by; nothing below it is followed). */
  constructor(readonly root: string) {
    this.rootFd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
    this.lastFd = this.rootFd;
  }

  /** Where the entry `rel` is created or opened: its name in its open parent folder. */
  at(rel: string): string {
    if (!PROC_FD) return join(this.root, rel);
    return inOpenDir(this.dirFd(parentOf(rel)), baseOf(rel));
  }

  /** The target-relative path of an entry, for messages. */
  display(rel: string): string {
    return join(this.root, rel);
  }

  /** The open descriptor of the folder `rel` (opened from its parent when not held). */
  dirFd(rel: string): number {
    if (rel === this.lastRel) return this.lastFd;
    if (rel === '') return this.remember(rel, this.rootFd);
    let fd = this.open.get(rel);
    if (fd === undefined) {
      const at = this.at(rel);
      try {
        fd = openSync(at, OPEN_DIR);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTDIR' || code === 'ELOOP') throw replaced(rel);
        throw err;
      }
    } else {
      this.open.delete(rel);
    }
    this.open.set(rel, fd);
    return this.remember(rel, fd);
  }

  private remember(rel: string, fd: number): number {
    this.lastRel = rel;
    this.lastFd = fd;
    return fd;
  }

  /** Closes the least recently used descriptors beyond the cache size (call between operations). */
  trim(): void {
    if (this.open.size <= MAX_OPEN_DIRS) return;
    for (const [rel, fd] of this.open) {
      if (this.open.size <= MAX_OPEN_DIRS) break;
      this.open.delete(rel);
      closeSync(fd);
    }
    this.lastRel = '';
    this.lastFd = this.rootFd;
  }

  /**
   * Checks that the folder `rel` is still the one held open, at its place (not moved, not replaced
   * by a link), and returns its descriptor.
   */
  verify(rel: string): number {
    const fd = this.dirFd(rel);
    // The target itself may be a link the user named it by; nothing below it may be one.
    const now = rel === '' ? statSync(this.root, { throwIfNoEntry: false, bigint: true }) : lstatSync(this.at(rel), { throwIfNoEntry: false, bigint: true });
    const held = fstatSync(fd, { bigint: true });
    if (!now?.isDirectory() || now.ino !== held.ino || now.dev !== held.dev) throw replaced(rel);
    return fd;
  }

  /** A descriptor of its own (for the caller to close) for the folder `rel` held open as `fd`. */
  duplicate(fd: number, rel: string): number {
    return openSync(PROC_FD ? `${PROC_FD}/${fd}` : this.display(rel), constants.O_RDONLY | constants.O_DIRECTORY);
  }

  close(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
    closeSync(this.rootFd);
  }
}
