// The atomic part of a restore: entries of the installation are exchanged with the staged new tree
// by renames on the same file system, under a journal written (and fsynced) before the first
// rename. A full restore exchanges top-level entries; a partial one the chosen paths, which may lie
// deeper (`custom_components/foo`), making the folders on their way that the installation lacks.
// A crash at any point is completed or rolled back at the next start, so the swapped paths are
// always entirely old or entirely new, never a mixture; nothing else is touched.
//
// The journal lives in Lifeboat's private data folder, never in the installation, and recovery
// trusts nothing in it blindly: it acts only on the installation it belongs to, on relative paths of
// plain names (swap-paths.ts), never through a folder that is a symbolic link, and on a staging
// folder that Lifeboat made (its name, a real folder, this user's). The staging folder is made fresh
// for each restore (0700) so no one else can prepare it. Journals of version 2 (top-level names
// only) are still read. Once the installation is whole (swapped, or rolled back), a staging folder
// that cannot be removed is reported, never a failure: it is outside every backup and retried later.

import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { BackupManagerError } from '../util/errors.js';
import { syncDir, writeJsonAtomic } from '../util/durable-fs.js';
import { crashPoint } from '../util/crash-point.js';
import { pausePoint } from '../util/pause-point.js';
import { refuseMountsWithin } from './swap-mounts.js';
import { KIND_NAMES } from '../source/external-db/external-recorder.js';
import { isStagingName, RESTORE_STAGING_PREFIX } from './data-folder.js';
import { ownedByThisUser } from './data-folder-guard.js';
import { chmodFolder, isBelow, missingOnTheWay, parentOf, requireWay, SwapPathSchema, UnsafeSwapPathError } from './swap-paths.js';

/** A restore journal that Lifeboat will not act on (it names paths outside what a restore touches). */
export class RestoreJournalError extends BackupManagerError {
  override readonly code: string = 'restore_journal_invalid';
}

const JOURNAL_VERSION = 3 as const;

/** One name directly inside the installation: no separators, not `.` or `..` (version 2). */
const TopLevelName = z
  .string()
  .min(1)
  .refine((n) => n !== '.' && n !== '..' && !n.includes('/') && !n.includes('\0'), 'not a single top-level name');

/** A path below the installation that is not (inside) a staging folder. */
const SwappedPath = SwapPathSchema.refine((p) => !isStagingName(p.split('/')[0] as string), 'a path inside a staging folder');

/** swapping → swapped (committed), or swapping → rolled_back while a recorder database is settled. */
const Phase = z.enum(['swapping', 'swapped', 'rolled_back']);

/** The recorder database a restore swaps with the files (a server's, named without credentials). */
const RecorderIdentitySchema = z.object({
  kind: z.enum(['mysql', 'postgresql']),
  host: z.string().nullable(),
  port: z.number().int().nullable(),
  socket: z.string().nullable(),
  database: z.string(),
});
export type RecorderIdentity = z.infer<typeof RecorderIdentitySchema>;

/** No configuration at hand names the recorder database a journal names: Lifeboat cannot reach it. */
export class RecorderNotNamedError extends BackupManagerError {
  override readonly code: string = 'restore_recorder_not_named';
}
const Staging = z.string().refine(isStagingName, 'not a staging folder name Lifeboat makes');

const JournalV2Schema = z.object({
  version: z.literal(2),
  phase: Phase,
  root: z.string(),
  staging: Staging,
  moveOut: z.array(TopLevelName),
  moveIn: z.array(TopLevelName),
});

const JournalV3Schema = z
  .object({
    version: z.literal(JOURNAL_VERSION),
    phase: Phase,
    root: z.string(),
    staging: Staging,
    moveOut: z.array(SwappedPath),
    moveIn: z.array(SwappedPath),
    /** Folders on the way to moveIn paths that the installation lacked, outermost first (rollback removes them). */
    madeDirs: z.array(SwappedPath),
    /** The recorder database swapped with the files, if any: settled the same way as they are. */
    recorder: RecorderIdentitySchema.optional(),
  })
  .refine((j) => j.madeDirs.every((d) => j.moveIn.some((p) => isBelow(p, d))), 'a folder to make that no restored path needs')
  .refine((j) => [j.moveIn, j.moveOut].every((paths) => !paths.some((p) => paths.some((q) => isBelow(p, q)))), 'a path below another one');

const JournalSchema = z.union([JournalV2Schema, JournalV3Schema]).transform((j): Journal => ({ madeDirs: [], ...j, version: JOURNAL_VERSION }));
type Journal = z.infer<typeof JournalV3Schema>;

/** Where a restore's swap keeps its journal and finds the installation. */
export interface SwapPlace {
  /** The installation folder. */
  root: string;
  /** The journal file, in the data folder. */
  journal: string;
  /** Told of a staging folder left behind because it could not be removed. */
  warn?: (message: string) => void;
  /** The mount points of this system (default: /proc/self/mountinfo's). */
  mounts?: () => Promise<string[]>;
  /**
   * Ends the swap of the journal's recorder database: its data from before the restore live
   * (`old`) or the restored data (`new`). Without it a journal that names one is not settled.
   */
  settleRecorder?: (recorder: RecorderIdentity, keep: 'old' | 'new', staging: string) => Promise<void>;
}

export interface SwapPlan extends SwapPlace {
  /** The staging folder (inside the installation, made by createStaging): holds `new/` and `old/`. */
  staging: string;
  /** Paths of the current installation to replace (moved to `old/` under the same path). */
  moveOut: string[];
  /** Paths of the new tree (moved from `new/` to the same path in the installation). */
  moveIn: string[];
  /** A recorder database swapped with the files: named in the journal, swapped in once it is written. */
  recorder?: { identity: RecorderIdentity; swapIn: () => Promise<void> };
}

export const stagingNew = (staging: string) => join(staging, 'new');
const stagingOld = (staging: string) => join(staging, 'old');

/** True when something (even a dangling symlink) is at `path`. */
async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** True when `path` is a real folder (not a symlink) of the user Lifeboat runs as. */
async function ownFolder(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => null);
  return !!st && st.isDirectory() && ownedByThisUser(st);
}

/** Makes every folder of a tree (symbolic links not followed) writable for this user, so its entries can go. */
async function openUp(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st?.isDirectory()) return;
  if ((st.mode & 0o700) !== 0o700) await chmodFolder(path, (st.mode & 0o7777) | 0o700);
  for (const name of await readdir(path)) await openUp(join(path, name));
}

/** Removes a staging folder, read-only folders inside it (as a backup or the installation may hold) included. */
async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
    await openUp(path);
    await rm(path, { recursive: true, force: true });
  }
}

/** Removes a staging folder once the installation is whole again; what cannot go is reported, not thrown. */
async function discardStaging(place: SwapPlace, path: string): Promise<void> {
  await removeTree(path).catch((err: unknown) =>
    place.warn?.(`Could not remove the restore's staging folder ${path} (${(err as Error).message}); it is left out of backups, and tried again at the next start; it can also be removed by hand`),
  );
}

/** A fresh staging folder inside the installation, private to this user, with an empty `new/`. */
export async function createStaging(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(join(root, RESTORE_STAGING_PREFIX));
  if (!(await ownFolder(staging))) throw new BackupManagerError(`The staging folder ${staging} is not the folder Lifeboat just made; refusing to restore into it`);
  await mkdir(stagingNew(staging), { mode: 0o700 });
  return staging;
}

/** Moves `path` from below `from` to the same path below `to`, checking both ways first; the folders on `to`'s way inside staging are made. */
async function move(path: string, from: string, to: string, makeWayIn: string | null): Promise<void> {
  await requireWay(from, path);
  if (makeWayIn !== null && parentOf(path) !== '') await mkdir(join(makeWayIn, parentOf(path)), { recursive: true, mode: 0o700 });
  await requireWay(to, path);
  await rename(join(from, path), join(to, path));
}

/** The folders of the installation whose entries a swap renames, for fsync. */
const touchedFolders = (root: string, journal: Pick<Journal, 'moveIn' | 'moveOut' | 'madeDirs'>) =>
  [...new Set([...journal.moveIn, ...journal.moveOut, ...journal.madeDirs].map((p) => join(root, parentOf(p))))];

async function syncFolders(folders: string[]): Promise<void> {
  for (const folder of folders) if (await exists(folder)) await syncDir(folder);
}

/**
 * The folders on the way to the incoming paths that the installation lacks, outermost first. Every
 * way is checked: a symbolic link (or a file) on the way to a path is an UnsafeSwapPathError; a
 * file system mounted at or below a path to replace, a MountPointInTheWayError.
 */
export async function checkWays(plan: SwapPlan): Promise<string[]> {
  const newDir = stagingNew(plan.staging);
  const made = new Set<string>();
  for (const path of plan.moveOut) await requireWay(plan.root, path);
  await refuseMountsWithin(plan.root, plan.moveOut, plan.mounts);
  for (const path of plan.moveIn) {
    await requireWay(newDir, path);
    for (const folder of await missingOnTheWay(plan.root, path)) made.add(folder);
  }
  return [...made].sort((a, b) => a.split('/').length - b.split('/').length);
}

/**
 * Exchanges the paths. Every way is checked before the journal is written and again before each
 * rename; the old entries are removed only after the swap is recorded as complete.
 */
export async function swapTrees(plan: SwapPlan): Promise<void> {
  if (!isStagingName(plan.staging.slice(plan.root.length + 1))) throw new BackupManagerError(`${plan.staging} is not a staging folder of ${plan.root}`);
  const oldDir = stagingOld(plan.staging);
  const newDir = stagingNew(plan.staging);
  const madeDirs = await checkWays(plan);
  const journal: Journal = {
    version: JOURNAL_VERSION,
    phase: 'swapping',
    root: plan.root,
    staging: plan.staging.slice(plan.root.length + 1),
    moveOut: plan.moveOut,
    moveIn: plan.moveIn,
    madeDirs,
    ...(plan.recorder ? { recorder: plan.recorder.identity } : {}),
  };
  JournalV3Schema.parse(journal); // what recovery would refuse is never written
  await mkdir(oldDir, { mode: 0o700 });
  await writeJsonAtomic(plan.journal, journal, 0o600);
  crashPoint('restore:swap-start');
  // The recorder database first (atomic in its server), now that the journal names it.
  if (plan.recorder) {
    await plan.recorder.swapIn();
    crashPoint('restore:recorder-swapped');
  }
  let moved = 0;
  for (const path of plan.moveOut) {
    await move(path, plan.root, oldDir, oldDir);
    if (++moved === Math.ceil(plan.moveOut.length / 2)) crashPoint('restore:swap-middle');
  }
  for (const folder of madeDirs) {
    await requireWay(plan.root, folder);
    await mkdir(join(plan.root, folder), { mode: 0o700 });
    await chmodFolder(join(plan.root, folder), (await lstat(join(newDir, folder))).mode & 0o7777);
  }
  for (const path of plan.moveIn) await move(path, newDir, plan.root, null);
  crashPoint('restore:swap-before-commit');
  await syncFolders(touchedFolders(plan.root, journal));
  await writeJsonAtomic(plan.journal, { ...journal, phase: 'swapped' }, 0o600);
  crashPoint('restore:swap-committed');
  if (journal.recorder && !(await recorderSettled(plan, journal.recorder, 'new', plan.staging))) return; // the next start ends it
  await settle(plan, plan.staging);
}

/**
 * Ends the swap of the journal's recorder database (before the journal goes, so a crash leaves it
 * for the next start); false, said why, when that cannot be done now: the journal then stays. A
 * database no configuration names any more can never be reached from here: what to do by hand is
 * said, and the journal goes (the next restore refuses to begin while that data is kept aside).
 */
async function recorderSettled(place: SwapPlace, recorder: RecorderIdentity, keep: 'old' | 'new', staging: string): Promise<boolean> {
  const where = `${KIND_NAMES[recorder.kind]} database ${recorder.database}`;
  const aside = recorder.kind === 'mysql' ? `the database ${recorder.database}__lifeboat_old` : 'the schema lifeboat_old';
  try {
    if (!place.settleRecorder) throw new Error('no way to reach it here');
    await place.settleRecorder(recorder, keep, staging);
    return true;
  } catch (err) {
    if (err instanceof RecorderNotNamedError) {
      place.warn?.(
        `The restore's swap of the recorder ${where} cannot be finished by Lifeboat (${err.message}). ${
          keep === 'old'
            ? `The installation's files are as before the restore, the database holds the restored data, and ${aside} the data from before: put that back in place by hand`
            : `The installation and the database hold the restored data; ${aside} holds the data from before: drop it when you no longer need it`
        }`,
      );
      return true;
    }
    place.warn?.(
      `The restore's swap of the recorder ${where} is not finished (${(err as Error).message}): the ${keep === 'old' ? 'data from before the restore must be put back' : 'data from before the restore is still kept aside'}. Lifeboat tries again at its next start, and every half minute while \`lifeboat serve\` runs; until then restores are refused`,
    );
    return false;
  }
}

/**
 * Ends a swap that is committed or rolled back: the journal goes first (durably), then the staging
 * folder. A crash in between leaves a staging folder without a journal, discarded at the next start;
 * the other order could leave a journal whose staging folder is gone.
 */
async function settle(place: SwapPlace, staging: string): Promise<void> {
  await rm(place.journal, { force: true });
  await syncDir(dirname(place.journal));
  crashPoint('restore:journal-removed');
  await discardStaging(place, staging);
}

export type RecoveryOutcome = 'none' | 'discarded' | 'rolled_back' | 'completed';

/**
 * An interrupted restore's files are settled (`outcome`), its recorder database not yet (the server
 * could not be reached): the journal stays for the next try (the next start, or `serve`'s timer), and
 * no restore begins meanwhile.
 */
export class RecorderSwapPendingError extends BackupManagerError {
  override readonly code: string = 'restore_recorder_pending';
  constructor(readonly outcome: 'rolled_back' | 'completed') {
    super(`An interrupted restore's recorder database is not settled yet (the installation's files were ${outcome === 'completed' ? 'restored' : 'rolled back'}); Lifeboat tries again at its next start, and every half minute while \`lifeboat serve\` runs`);
  }
}

/** Reads the journal; null when there is none; RestoreJournalError when it cannot be trusted. */
async function readJournal(place: SwapPlace): Promise<Journal | null> {
  let text: string;
  try {
    text = await readFile(place.journal, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const refuse = (why: string) => journalRefused(place, why);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw refuse('is not valid JSON');
  }
  const parsed = JournalSchema.safeParse(data);
  if (!parsed.success) throw refuse(`is not valid (${parsed.error.issues[0]?.message ?? 'unknown'})`);
  if (parsed.data.root !== place.root) throw refuse(`belongs to ${parsed.data.root}, not to this installation`);
  // A settled swap whose staging folder is already gone has nothing left to do but end.
  if (parsed.data.phase !== 'swapping' && !(await exists(join(place.root, parsed.data.staging)))) return parsed.data;
  if (!(await ownFolder(join(place.root, parsed.data.staging)))) throw refuse(`names a staging folder that is not Lifeboat's (${parsed.data.staging})`);
  return parsed.data;
}

function journalRefused(place: SwapPlace, why: string): RestoreJournalError {
  return new RestoreJournalError(
    `The restore journal ${place.journal} ${why}; Lifeboat will not act on it. Check the installation ${place.root}, then remove the journal`,
  );
}

/** Removes staging folders that no journal mentions (a restore that stopped before its swap). */
async function discardStrayStaging(place: SwapPlace): Promise<boolean> {
  let removed = false;
  for (const name of await readdir(place.root).catch(() => [] as string[])) {
    if (!isStagingName(name)) continue;
    const path = join(place.root, name);
    if (!(await ownFolder(path))) continue;
    await discardStaging(place, path);
    removed = true;
  }
  return removed;
}

/** Removes a folder the swap made, if it is still an empty real folder; anything else is left alone. */
async function removeMadeFolder(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st?.isDirectory()) return;
  await rmdir(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT' && err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
  });
}

/** Puts the old paths back: the new ones to `new/`, the folders the swap made removed, the old ones from `old/`. */
async function rollBack(place: SwapPlace, journal: Journal, staging: string): Promise<void> {
  await pausePoint('restore:before-rollback', staging);
  const oldDir = stagingOld(staging);
  const newDir = stagingNew(staging);
  await mkdir(newDir, { recursive: true, mode: 0o700 });
  for (const path of [...journal.moveIn].reverse()) {
    if ((await missingOnTheWay(place.root, path)).length) continue;
    if ((await exists(join(place.root, path))) && !(await exists(join(newDir, path)))) await move(path, place.root, newDir, newDir);
  }
  for (const folder of [...journal.madeDirs].reverse()) {
    if ((await missingOnTheWay(place.root, folder)).length === 0) await removeMadeFolder(join(place.root, folder));
  }
  for (const path of journal.moveOut) {
    if ((await missingOnTheWay(oldDir, path)).length) continue;
    if (await exists(join(oldDir, path))) await move(path, oldDir, place.root, null);
  }
  await syncFolders(touchedFolders(place.root, journal));
}

/**
 * Finishes what an interrupted restore left behind: a committed swap is completed (the old entries
 * removed), an uncommitted one rolled back, staging folders without a journal discarded. A way
 * through a symbolic link stops the rollback with a RestoreJournalError, the journal kept.
 */
export async function recoverSwap(place: SwapPlace): Promise<RecoveryOutcome> {
  const journal = await readJournal(place);
  if (!journal) return (await discardStrayStaging(place)) ? 'discarded' : 'none';
  const staging = join(place.root, journal.staging);
  const outcome = journal.phase === 'swapped' ? 'completed' : 'rolled_back';
  if (journal.phase === 'swapping') {
    try {
      await rollBack(place, journal, staging);
    } catch (err) {
      if (err instanceof UnsafeSwapPathError) throw journalRefused(place, `cannot be rolled back safely: ${err.message}`);
      throw err;
    }
    // The files are back: a recorder database still to settle must not roll them back again.
    if (journal.recorder) await writeJsonAtomic(place.journal, { ...journal, phase: 'rolled_back' }, 0o600);
  }
  if (journal.recorder && !(await recorderSettled(place, journal.recorder, outcome === 'completed' ? 'new' : 'old', staging))) {
    throw new RecorderSwapPendingError(outcome);
  }
  await settle(place, staging);
  await discardStrayStaging(place);
  return outcome;
}
