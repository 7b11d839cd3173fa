// Mount points in what a restore replaces. A mount point cannot be renamed, nor a path below one to
// the staging folder (the swap would fail half-way), and a folder with a file system mounted below
// it takes that mount along when renamed: removing the replaced tree afterwards would delete what
// the mounted file system holds (a network share mounted under the configuration). Such a restore
// is refused before anything is touched, naming the mount points. They are read from
// /proc/self/mountinfo (Linux); where it cannot be read, none are known.

import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupManagerError } from '../util/errors.js';

/** A restore would replace a mount point, or a folder with one below it. */
export class MountPointInTheWayError extends BackupManagerError {
  override readonly code: string = 'restore_mount_point';
}

/** The mount points of a mountinfo text (its fifth field; spaces and such come as octal escapes). */
export function parseMountPoints(mountinfo: string): string[] {
  const points: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.push(field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))));
  }
  return points;
}

/** This process's mount points; none where /proc cannot tell. */
export async function currentMountPoints(): Promise<string[]> {
  return readFile('/proc/self/mountinfo', 'utf8').then(parseMountPoints, () => []);
}

/**
 * The mount points at, below or on the way to `paths` (relative to `root`, as the swap names them):
 * a path on another file system than the staging folder cannot be renamed to or from it either.
 */
export function mountsWithin(root: string, paths: readonly string[], mounts: readonly string[]): string[] {
  const onTheWay = (m: string, path: string) => m.startsWith(`${root}/`) && path.startsWith(`${m}/`);
  return mounts.filter((m) => paths.some((p) => m === join(root, p) || m.startsWith(`${join(root, p)}/`) || onTheWay(m, join(root, p)))).sort();
}

/** Refuses a swap that would move any of `paths` (below `root`) while a file system is mounted at or below it. */
export async function refuseMountsWithin(root: string, paths: readonly string[], mounts: () => Promise<string[]> = currentMountPoints): Promise<void> {
  if (paths.length === 0) return;
  const real = await realpath(root).catch(() => root);
  const found = mountsWithin(real, paths, await mounts());
  if (found.length === 0) return;
  throw new MountPointInTheWayError(
    `A file system is mounted where the restore would replace files (${found.join(', ')}): the restore would move it and then delete what it holds. Unmount it and restore again, or restore only other paths (--path)`,
  );
}
