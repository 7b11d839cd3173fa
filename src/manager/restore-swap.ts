// The atomic part of a restore: top-level entries of the installation are exchanged with the
// staged new tree by renames on the same file system, under a journal written (and fsynced) before
// the first rename. A crash at any point is completed or rolled back at the next start, so the
// installation is always entirely old or entirely new, never a mixture.
//
// The journal lives in Lifeboat's private data folder, never in the installation, and recovery
// trusts nothing in it blindly: it acts only on the installation it belongs to, on single-component
// names, and on a staging folder that Lifeboat made (its name, a real folder, this user's). The
// staging folder is made fresh for each restore (0700) so no one else can prepare it.

import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BackupManagerError } from '../util/errors.js';
import { syncDir, writeJsonAtomic } from '../util/durable-fs.js';
import { crashPoint } from '../util/crash-point.js';
import { isStagingName, RESTORE_STAGING_PREFIX } from './data-folder.js';
import { ownedByThisUser } from './data-folder-guard.js';

/** A restore journal that Lifeboat will not act on (it names paths outside what a restore touches). */
export class RestoreJournalError extends BackupManagerError {
  override readonly code: string = 'restore_journal_invalid';
}

/** One name directly inside the installation: no separators, not `.` or `..`. */
const TopLevelName = z
  .string()
  .min(1)
  .refine((n) => n !== '.' && n !== '..' && !n.includes('/') && !n.includes('\0'), 'not a single top-level name');

const JournalSchema = z.object({
  version: z.literal(2),
  phase: z.enum(['swapping', 'swapped']),
  root: z.string(),
  staging: z.string().refine(isStagingName, 'not a staging folder name Lifeboat makes'),
  moveOut: z.array(TopLevelName),
  moveIn: z.array(TopLevelName),
});
type Journal = z.infer<typeof JournalSchema>;

/** Where a restore's swap keeps its journal and finds the installation. */
export interface SwapPlace {
  /** The installation folder. */
  root: string;
  /** The journal file, in the data folder. */
  journal: string;
}

export interface SwapPlan extends SwapPlace {
  /** The staging folder (inside the installation, made by createStaging): holds `new/` and `old/`. */
  staging: string;
  /** Top-level names of the current installation to replace (moved to `old/`). */
  moveOut: string[];
  /** Top-level names of the new tree (moved from `new/`). */
  moveIn: string[];
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

/** A fresh staging folder inside the installation, private to this user, with an empty `new/`. */
export async function createStaging(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(join(root, RESTORE_STAGING_PREFIX));
  if (!(await ownFolder(staging))) throw new BackupManagerError(`The staging folder ${staging} is not the folder Lifeboat just made; refusing to restore into it`);
  await mkdir(stagingNew(staging), { mode: 0o700 });
  return staging;
}

async function writeJournal(plan: SwapPlan, phase: Journal['phase']): Promise<void> {
  const journal: Journal = { version: 2, phase, root: plan.root, staging: plan.staging.slice(plan.root.length + 1), moveOut: plan.moveOut, moveIn: plan.moveIn };
  await writeJsonAtomic(plan.journal, journal, 0o600);
}

/** Exchanges the trees. The old tree is removed only after the swap is recorded as complete. */
export async function swapTrees(plan: SwapPlan): Promise<void> {
  if (!isStagingName(plan.staging.slice(plan.root.length + 1))) throw new BackupManagerError(`${plan.staging} is not a staging folder of ${plan.root}`);
  const oldDir = stagingOld(plan.staging);
  const newDir = stagingNew(plan.staging);
  await mkdir(oldDir, { mode: 0o700 });
  await writeJournal(plan, 'swapping');
  crashPoint('restore:swap-start');
  let moved = 0;
  for (const name of plan.moveOut) {
    await rename(join(plan.root, name), join(oldDir, name));
    if (++moved === Math.ceil(plan.moveOut.length / 2)) crashPoint('restore:swap-middle');
  }
  for (const name of plan.moveIn) await rename(join(newDir, name), join(plan.root, name));
  crashPoint('restore:swap-before-commit');
  await syncDir(plan.root);
  await writeJournal(plan, 'swapped');
  crashPoint('restore:swap-committed');
  await rm(plan.staging, { recursive: true, force: true });
  await rm(plan.journal, { force: true });
}

export type RecoveryOutcome = 'none' | 'discarded' | 'rolled_back' | 'completed';

/** Reads the journal; null when there is none; RestoreJournalError when it cannot be trusted. */
async function readJournal(place: SwapPlace): Promise<Journal | null> {
  let text: string;
  try {
    text = await readFile(place.journal, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const refuse = (why: string) =>
    new RestoreJournalError(
      `The restore journal ${place.journal} ${why}; Lifeboat will not act on it. Check the installation ${place.root}, then remove the journal`,
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw refuse('is not valid JSON');
  }
  const parsed = JournalSchema.safeParse(data);
  if (!parsed.success) throw refuse(`is not valid (${parsed.error.issues[0]?.message ?? 'unknown'})`);
  if (parsed.data.root !== place.root) throw refuse(`belongs to ${parsed.data.root}, not to this installation`);
  if (!(await ownFolder(join(place.root, parsed.data.staging)))) throw refuse(`names a staging folder that is not Lifeboat's (${parsed.data.staging})`);
  return parsed.data;
}

/** Removes staging folders that no journal mentions (a restore that stopped before its swap). */
async function discardStrayStaging(root: string): Promise<boolean> {
  let removed = false;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!isStagingName(name)) continue;
    const path = join(root, name);
    if (!(await ownFolder(path))) continue;
    await rm(path, { recursive: true, force: true });
    removed = true;
  }
  return removed;
}

/**
 * Finishes what an interrupted restore left behind: a committed swap is completed (the old tree
 * removed), an uncommitted one rolled back, staging folders without a journal discarded.
 */
export async function recoverSwap(place: SwapPlace): Promise<RecoveryOutcome> {
  const journal = await readJournal(place);
  if (!journal) return (await discardStrayStaging(place.root)) ? 'discarded' : 'none';
  const staging = join(place.root, journal.staging);
  if (journal.phase === 'swapped') {
    await rm(staging, { recursive: true, force: true });
    await rm(place.journal, { force: true });
    await discardStrayStaging(place.root);
    return 'completed';
  }
  const oldDir = stagingOld(staging);
  const newDir = stagingNew(staging);
  await mkdir(newDir, { recursive: true, mode: 0o700 });
  for (const name of [...journal.moveIn].reverse()) {
    const inRoot = join(place.root, name);
    if ((await exists(inRoot)) && !(await exists(join(newDir, name)))) await rename(inRoot, join(newDir, name));
  }
  for (const name of journal.moveOut) {
    if (await exists(join(oldDir, name))) await rename(join(oldDir, name), join(place.root, name));
  }
  await syncDir(place.root);
  await rm(staging, { recursive: true, force: true });
  await rm(place.journal, { force: true });
  await discardStrayStaging(place.root);
  return 'rolled_back';
}
