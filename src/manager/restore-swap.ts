// The atomic part of a restore: top-level entries of the installation are exchanged with the
// staged new tree by renames on the same file system, under a journal written (and fsynced) before
// the first rename. A crash at any point is completed or rolled back at the next start, so the
// installation is always entirely old or entirely new, never a mixture.

import { lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { syncDir, writeJsonAtomic } from '../util/durable-fs.js';
import { crashPoint } from '../util/crash-point.js';

const JournalSchema = z.object({
  version: z.literal(1),
  phase: z.enum(['swapping', 'swapped']),
  root: z.string(),
  moveOut: z.array(z.string()),
  moveIn: z.array(z.string()),
});
type Journal = z.infer<typeof JournalSchema>;

export interface SwapPlan {
  /** The installation folder. */
  root: string;
  /** The staging folder (inside the installation): holds `new/`, `old/` and the journal. */
  staging: string;
  /** Top-level names of the current installation to replace (moved to `old/`). */
  moveOut: string[];
  /** Top-level names of the new tree (moved from `new/`). */
  moveIn: string[];
}

export const stagingNew = (staging: string) => join(staging, 'new');
const stagingOld = (staging: string) => join(staging, 'old');
const journalPath = (staging: string) => join(staging, 'journal.json');

/** True when something (even a dangling symlink) is at `path`. */
async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

async function writeJournal(staging: string, journal: Journal): Promise<void> {
  await writeJsonAtomic(journalPath(staging), journal, 0o600);
}

/** Exchanges the trees. The old tree is removed only after the swap is recorded as complete. */
export async function swapTrees(plan: SwapPlan): Promise<void> {
  const oldDir = stagingOld(plan.staging);
  const newDir = stagingNew(plan.staging);
  await mkdir(oldDir, { recursive: true });
  await writeJournal(plan.staging, { version: 1, phase: 'swapping', root: plan.root, moveOut: plan.moveOut, moveIn: plan.moveIn });
  crashPoint('restore:swap-start');
  let moved = 0;
  for (const name of plan.moveOut) {
    await rename(join(plan.root, name), join(oldDir, name));
    if (++moved === Math.ceil(plan.moveOut.length / 2)) crashPoint('restore:swap-middle');
  }
  for (const name of plan.moveIn) await rename(join(newDir, name), join(plan.root, name));
  crashPoint('restore:swap-before-commit');
  await syncDir(plan.root);
  await writeJournal(plan.staging, { version: 1, phase: 'swapped', root: plan.root, moveOut: plan.moveOut, moveIn: plan.moveIn });
  crashPoint('restore:swap-committed');
  await rm(plan.staging, { recursive: true, force: true });
}

export type RecoveryOutcome = 'none' | 'discarded' | 'rolled_back' | 'completed';

/**
 * Finishes what an interrupted restore left behind: a committed swap is completed (the old tree
 * removed), an uncommitted one rolled back, a staging folder without a journal discarded.
 */
export async function recoverSwap(staging: string): Promise<RecoveryOutcome> {
  if (!(await exists(staging))) return 'none';
  let journal: Journal | null = null;
  try {
    journal = JournalSchema.parse(JSON.parse(await readFile(journalPath(staging), 'utf8')));
  } catch {
    journal = null;
  }
  if (!journal) {
    await rm(staging, { recursive: true, force: true });
    return 'discarded';
  }
  if (journal.phase === 'swapped') {
    await rm(staging, { recursive: true, force: true });
    return 'completed';
  }
  const oldDir = stagingOld(staging);
  const newDir = stagingNew(staging);
  await mkdir(newDir, { recursive: true });
  for (const name of [...journal.moveIn].reverse()) {
    const inRoot = join(journal.root, name);
    if ((await exists(inRoot)) && !(await exists(join(newDir, name)))) await rename(inRoot, join(newDir, name));
  }
  for (const name of journal.moveOut) {
    if (await exists(join(oldDir, name))) await rename(join(oldDir, name), join(journal.root, name));
  }
  await syncDir(journal.root);
  await rm(staging, { recursive: true, force: true });
  return 'rolled_back';
}
