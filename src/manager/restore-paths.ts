// A partial restore's choice: the paths asked for (relative to the installation), checked and
// normalised; what the extraction takes (those paths, what lies below them, and the folders on
// their way); and, once extracted, the check that each is in the backup and what the swap moves.
// The recorder database goes with a partial restore only when a path names it: its file brings
// its live companions (-wal, -shm) along, a path in the recorder dump folder the whole dump.

import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { isUnder, normalisePath } from '../archive/archive-files.js';
import { RECORDER_DB } from '../source/database-snapshots.js';
import { DUMP_FOLDER } from '../source/external-db/dump-entries.js';
import { InvalidRequestError, PathNotInBackup } from '../util/errors.js';
import { missingOnTheWay, UnsafeSwapPathError } from './swap-paths.js';

/** The recorder database and its live companions, swapped together or not at all. */
export const DATABASE_FILES = [RECORDER_DB, `${RECORDER_DB}-wal`, `${RECORDER_DB}-shm`];

export interface ChosenPaths {
  /** The paths asked for, normalised, without any that lie inside another (each must be in the backup). */
  asked: string[];
  /** What the swap exchanges: the asked paths, with the database's companions; never the recorder dump (it is loaded). */
  swapped: string[];
  /** Whether anything but the database was asked for. */
  restoreConfig: boolean;
  /** Whether the recorder database (file or dump) was asked for. */
  restoreDb: boolean;
}

const invalid = (message: string) => new InvalidRequestError('invalid_request', message);

/** One asked path, normalised; the database's companions stand for the database, a path in the dump for the dump. */
function normaliseAsked(path: string, isKept: (top: string) => boolean): string {
  if (path.includes('\0')) throw invalid('A path to restore has a NUL byte');
  if (path.startsWith('/')) throw invalid(`${path} is absolute; give paths relative to the installation (e.g. automations.yaml)`);
  if (path.split('/').includes('..')) throw invalid(`${path} has a .. component; give paths inside the installation`);
  const rel = normalisePath(path);
  if (rel === '') throw invalid(`${JSON.stringify(path)} names the whole installation; restore without paths instead`);
  if (isKept(rel.split('/')[0] as string)) throw invalid(`${rel} is never restored: a restore leaves backups/ and Lifeboat's own folders alone`);
  if (DATABASE_FILES.includes(rel)) return RECORDER_DB;
  if (isUnder(rel, DUMP_FOLDER)) return DUMP_FOLDER;
  return rel;
}

/** Checks and normalises the paths of a partial restore (InvalidRequestError for one that cannot be restored). */
export function choosePaths(paths: readonly string[], isKept: (top: string) => boolean): ChosenPaths {
  if (paths.length === 0) throw invalid('A partial restore needs at least one path');
  const unique = [...new Set(paths.map((p) => normaliseAsked(p, isKept)))];
  const asked = unique.filter((p) => !unique.some((q) => q !== p && isUnder(p, q))).sort();
  const swapped = asked.flatMap((p) => (p === RECORDER_DB ? DATABASE_FILES : p === DUMP_FOLDER ? [] : [p]));
  const isDb = (p: string) => p === RECORDER_DB || p === DUMP_FOLDER;
  return { asked, swapped, restoreConfig: asked.some((p) => !isDb(p)), restoreDb: asked.some(isDb) };
}

/** Whether the extraction takes `rel` (a path relative to the installation): a chosen path, below one, or on the way to one. */
export function takesPath(chosen: ChosenPaths, rel: string): boolean {
  return rel === '' || [...chosen.asked, ...chosen.swapped].some((p) => isUnder(rel, p) || isUnder(p, rel));
}

const present = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

/** True when `path` is below `base` by a way of real folders; false when it is not there. */
async function presentBelow(base: string, path: string, unsafe?: () => Error): Promise<boolean> {
  try {
    return (await missingOnTheWay(base, path)).length === 0 && (await present(join(base, path)));
  } catch (err) {
    if (unsafe && err instanceof UnsafeSwapPathError) throw unsafe();
    throw err;
  }
}

/**
 * After extraction: every asked path must be in the backup (a PathNotInBackup otherwise), reached
 * by real folders in both the staged tree and the installation. Resolves with what the swap moves:
 * out, the chosen paths the installation has; in, those the backup has.
 */
export async function partialSwap(root: string, staged: string, chosen: ChosenPaths, backupId: string): Promise<{ moveOut: string[]; moveIn: string[] }> {
  const throughLink = (path: string) => () => new UnsafeSwapPathError(`${path} lies below a symbolic link or a file in backup ${backupId}; restore the folder above it instead`);
  for (const path of chosen.asked) {
    if (!(await presentBelow(staged, path, throughLink(path)))) throw new PathNotInBackup(`${path} is not in backup ${backupId}`);
  }
  const moveIn: string[] = [];
  const moveOut: string[] = [];
  for (const path of chosen.swapped) {
    if (await presentBelow(staged, path, throughLink(path))) moveIn.push(path);
    if (await presentBelow(root, path)) moveOut.push(path);
  }
  return { moveOut, moveIn };
}
