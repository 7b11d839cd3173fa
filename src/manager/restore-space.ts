// Whether a restore fits before it writes anything: the bytes the backup unpacks to (recorded by
// Lifeboat when it made the backup; for other backups at least the size of the compressed member)
// against the free space of the installation's file system, with a margin so Home Assistant is not
// left with a full disk. Only restores that include the database are checked (a restore of the
// configuration or a few paths writes a small part of it). Running out anyway (a backup that claims
// too little, a narrower restore) is still caught: the extraction stops with disk_full and the
// staging folder is removed.

import type { StatsFs } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { unpackedSizeExtraKey, type AgentBackup } from '../archive/backup-json.js';
import { DiskFullError } from '../util/errors.js';

/** Kept free beyond what the restore needs. */
const MARGIN_BYTES = 64 * 1024 * 1024;

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** The bytes a restore of `member` writes: as recorded, else the member's own size (a lower bound). */
export function unpackedBytes(backup: Pick<AgentBackup, 'extra_metadata'>, name: string, memberSize: number): number {
  const recorded = Number(backup.extra_metadata[unpackedSizeExtraKey(name)]);
  return Number.isSafeInteger(recorded) && recorded > 0 ? recorded : memberSize;
}

/** The file system `path` is (or will be, when it does not exist yet) on. */
async function statfsOfNearest(path: string): Promise<StatsFs> {
  for (let p = path; ; p = dirname(p)) {
    try {
      return await statfs(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(p) === p) throw err;
    }
  }
}

/** Refuses with DiskFullError when `needed` bytes (plus a margin) are not free where `root` lives. */
export async function checkFreeSpace(root: string, needed: number, what: string): Promise<void> {
  const fs = await statfsOfNearest(root);
  const free = fs.bavail * fs.bsize;
  if (needed + MARGIN_BYTES > free) {
    throw new DiskFullError(
      `Restoring ${what} needs about ${mib(needed)} of free space next to ${root} (plus ${mib(MARGIN_BYTES)} to spare), but only ${mib(free)} is free; nothing was changed. Free up space and try again`,
    );
  }
}
