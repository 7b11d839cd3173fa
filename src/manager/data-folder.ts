// Lifeboat's own state for one installation: where it lives (outside the installation, so Home
// Assistant's backups never carry Lifeboat's secrets and nothing that writes the config folder can
// plant its state), what it holds, the instance id, and the paths that must never go into a backup.

import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { newInstanceId, readInstanceId } from '../source/installation-info.js';
import { DUMP_FOLDER } from '../source/external-db/dump-entries.js';
import { ExcludeRules } from '../source/exclude-rules.js';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';
import { processAlive } from '../util/process-alive.js';

/** Where older releases kept the data folder: inside the installation (moved out at the first start). */
export const LEGACY_DATA_FOLDER = '.lifeboat';
/**
 * Staging folders of a restore are made inside the installation (the same file system, so the swap
 * is a rename) with this prefix and a random suffix; nothing else there is Lifeboat's.
 */
export const RESTORE_STAGING_PREFIX = '.lifeboat-restore-';
const STAGING_RE = /^\.lifeboat-restore-[A-Za-z0-9]{6}$/;

/** True for a name Lifeboat gives its restore staging folders. */
export function isStagingName(name: string): boolean {
  return STAGING_RE.test(name);
}

export interface DataFolder {
  installation: string;
  /** The local backup folder (`backup.local`). */
  backups: string;
  root: string;
  catalogue: string;
  secrets: string;
  settings: string;
  instance: string;
  lock: string;
  tmp: string;
  restoreResult: string;
  /** The journal of a restore's swap (which names moved where), kept here rather than in the installation. */
  restoreJournal: string;
  /** Notes that a restore stopped Home Assistant and has not started it yet (ha-left-stopped.ts). */
  homeAssistantStopped: string;
  /** Backups' archive indexes (entries and checkpoints; archive-index-store.ts). */
  index: string;
  /** Compressed segments of the last backup's large files, reused by the next (segment-cache.ts). */
  segmentCache: string;
}

/**
 * The default data folder of an installation: `$XDG_STATE_HOME/lifeboat/<name>-<hash of its path>`
 * (`~/.local/state/…` when XDG_STATE_HOME is unset), one per installation folder. The container
 * image and the add-on set LIFEBOAT_DATA instead.
 */
export function defaultDataRoot(installation: string, env: NodeJS.ProcessEnv = process.env): string {
  const inst = resolve(installation);
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  const name = basename(inst).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '') || 'root';
  const hash = createHash('sha256').update(inst, 'utf8').digest('hex').slice(0, 12);
  return join(state, 'lifeboat', `${name}-${hash}`);
}

export function dataFolder(installation: string, data?: string, backups?: string): DataFolder {
  const inst = resolve(installation);
  const root = resolve(data ?? defaultDataRoot(inst));
  return {
    installation: inst,
    backups: resolve(backups ?? join(inst, 'backups')),
    root,
    catalogue: join(root, 'catalogue.json'),
    secrets: join(root, 'secrets.json'),
    settings: join(root, 'settings.json'),
    instance: join(root, 'instance.json'),
    lock: join(root, 'operation.lock'),
    tmp: join(root, 'tmp'),
    restoreResult: join(root, 'restore-result.json'),
    restoreJournal: join(root, 'restore-journal.json'),
    homeAssistantStopped: join(root, 'home-assistant-stopped.json'),
    index: join(root, 'index'),
    segmentCache: join(root, 'segment-cache'),
  };
}

/** A name in the tmp folder owned by this process (removed at the next start if it dies). */
export function tmpName(df: DataFolder, what: string): string {
  return join(df.tmp, `${process.pid}-${what}-${randomBytes(4).toString('hex')}`);
}


/** Removes what processes that are gone left in the tmp folder (database copies, downloads). */
export async function cleanTmp(df: DataFolder): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(df.tmp).catch(() => [] as string[])) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) continue;
    await rm(join(df.tmp, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** `path` relative to the installation when it lies inside it, else null. */
export function inside(installation: string, path: string): string | null {
  const rel = relative(installation, path);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel.split(sep).join('/') : null;
}

/** A path as a glob that matches only itself: `*`, `?` and `[` each in a class of its own. */
const literalGlob = (path: string) => path.replace(/[*?[]/g, (c) => `[${c}]`);

/**
 * Root-anchored exclude globs for what Lifeboat keeps inside the installation: restore staging
 * folders, the data folder when it was put there, and the backups in the local folder, finished or
 * not (Home Assistant's own rule covers only its default folder, `backups/`): a backup never holds
 * the ones before it.
 */
export function lifeboatExcludes(df: DataFolder): string[] {
  // A dump folder left in the installation by Home Assistant's own restore of a backup with one.
  const out = [`${RESTORE_STAGING_PREFIX}*`, DUMP_FOLDER];
  const data = inside(df.installation, df.root);
  if (data) out.push(literalGlob(data));
  const local = inside(df.installation, df.backups);
  if (local) out.push(`${literalGlob(local)}/.lifeboat-*.partial`, `${literalGlob(local)}/*.tar`);
  return out;
}

/**
 * The exclude rules of a backup of this installation: Home Assistant's (and its database patterns
 * when the database is left out), Lifeboat's own folders, and the extra globs asked for.
 */
export function backupRules(df: DataFolder, opts: { includeDatabase: boolean; excludes?: readonly string[] }): ExcludeRules {
  return ExcludeRules.forBackup({ includeDatabase: opts.includeDatabase, extra: [...lifeboatExcludes(df), ...(opts.excludes ?? [])] });
}

const InstanceSchema = z.object({ instance_id: z.string().regex(/^[0-9a-f]{32}$/) });

/** The installation's instance id (`.storage/core.uuid`), else one Lifeboat generated and kept. */
export async function instanceIdFor(df: DataFolder): Promise<string> {
  const fromHa = await readInstanceId(df.installation);
  if (fromHa) return fromHa;
  const stored = await readJson(df.instance, InstanceSchema);
  if (stored) return stored.instance_id;
  const id = newInstanceId();
  await writeJsonAtomic(df.instance, { instance_id: id });
  return id;
}
