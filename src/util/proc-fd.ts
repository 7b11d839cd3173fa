// Linux's view of this process's open descriptors (/proc/<pid>/fd): a path through an open folder's
// descriptor, `<PROC_FD>/<fd>/<name>`, is resolved by the kernel from that folder itself, whatever
// has since been renamed or swapped for a link along the path that opened it. Node.js has no
// openat(); this is how the archive and source rooms create and open entries in a folder they hold.
// Null where /proc is missing (not Linux); callers then fall back to paths and lstat checks.

import { existsSync, readlinkSync } from 'node:fs';

/**
 * /proc/<pid>/fd when /proc belongs to this process's pid namespace (a little cheaper to resolve
 * than /proc/self, whose link is read on every use), else /proc/self/fd; null without /proc.
 */
export const PROC_FD: string | null = procFd();

function procFd(): string | null {
  if (!existsSync('/proc/self/fd')) return null;
  try {
    if (readlinkSync('/proc/self') === String(process.pid)) return `/proc/${process.pid}/fd`;
  } catch {
    // /proc/self is always right
  }
  return '/proc/self/fd';
}

/** The path of `name` in the folder held open as `dirFd` (only where PROC_FD is not null). */
export function inOpenDir(dirFd: number, name: string): string {
  return `${PROC_FD}/${dirFd}/${name}`;
}

/** The path the kernel names the open `fd` by (null when it cannot tell). */
export function pathOfFd(fd: number): string | null {
  if (!PROC_FD) return null;
  try {
    return readlinkSync(`${PROC_FD}/${fd}`);
  } catch {
    return null;
  }
}
