// Lifeboat's own state for one installation: where it lives (default `<installation>/.lifeboat/`),
// what it holds, the instance id, and the paths that must never go into a backup.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { newInstanceId, readInstanceId } from '../source/installation-info.js';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';
import { processAlive } from '../util/process-alive.js';

export const DEFAULT_DATA_FOLDER = '.lifeboat';
/** Staging area of a restore, inside the installation so it is on the same file system. */
export const RESTORE_STAGING = '.lifeboat-restore';

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
  staging: string;
}

export function dataFolder(installation: string, data?: string, backups?: string): DataFolder {
  const inst = resolve(installation);
  const root = resolve(data ?? join(inst, DEFAULT_DATA_FOLDER));
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
    staging: join(inst, RESTORE_STAGING),
  };
}

export async function ensureDataFolder(df: DataFolder): Promise<void> {
  await mkdir(df.root, { recursive: true, mode: 0o700 });
  await mkdir(df.tmp, { recursive: true, mode: 0o700 });
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

function inside(installation: string, path: string): string | null {
  const rel = relative(installation, path);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel.split(sep).join('/') : null;
}

/**
 * Root-anchored exclude globs for what Lifeboat keeps inside the installation: the restore staging
 * folder, the data folder, and unfinished backup files in the local backup folder.
 */
export function lifeboatExcludes(df: DataFolder): string[] {
  const out = [RESTORE_STAGING];
  const data = inside(df.installation, df.root);
  if (data) out.push(data);
  const local = inside(df.installation, df.backups);
  if (local) out.push(`${local}/.lifeboat-*.partial`);
  return out;
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
