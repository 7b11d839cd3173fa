// Makes the data folder safe to trust before anything is read from it: created private (0700),
// refused with a fix when it or secrets.json can be read by other users or belongs to someone
// else, and — once — moved out of the installation when an older release left it there as
// `<installation>/.lifeboat` (where Home Assistant's backups would carry its keys and anything that
// writes the config folder could plant tokens).

import { cp, chmod, lstat, mkdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Stats } from 'node:fs';
import { BackupManagerError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { inside, LEGACY_DATA_FOLDER, type DataFolder } from './data-folder.js';

/** The data folder or a secret in it is not private to the user Lifeboat runs as. */
export class DataFolderUnsafeError extends BackupManagerError {
  override readonly code: string = 'data_folder_unsafe';
}

const uid = typeof process.getuid === 'function' ? process.getuid() : null;

/** True when the file belongs to the user Lifeboat runs as (always, where there are no user ids). */
export function ownedByThisUser(st: Stats): boolean {
  return uid === null || st.uid === uid;
}

function checkPrivate(path: string, st: Stats, kind: 'folder' | 'file'): void {
  if (!ownedByThisUser(st)) {
    throw new DataFolderUnsafeError(
      `Lifeboat's ${kind} ${path} belongs to user ${st.uid}, not to the user Lifeboat runs as (${uid}); it holds keys, so Lifeboat will not use it. Fix: chown -R ${uid} '${path}'`,
    );
  }
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
    throw new DataFolderUnsafeError(
      `Lifeboat's ${kind} ${path} can be used by other users (mode ${mode}); it holds keys, so Lifeboat will not use it. Fix: chmod ${kind === 'folder' ? '700' : '600'} '${path}'`,
    );
  }
}

/** Moves `<installation>/.lifeboat` to the data folder, when that is elsewhere and not there yet. */
async function moveLegacyFolder(df: DataFolder, log: Logger): Promise<void> {
  const legacy = join(df.installation, LEGACY_DATA_FOLDER);
  if (legacy === df.root) return;
  const old = await lstat(legacy).catch(() => null);
  if (!old) return;
  if (await lstat(df.root).catch(() => null)) {
    log.warn(
      `An old data folder is still inside the installation at ${legacy}; Lifeboat uses ${df.root}. Remove the old one: it may hold keys that Home Assistant's backups would include`,
    );
    return;
  }
  if (!old.isDirectory() || !ownedByThisUser(old)) {
    log.warn(`Not moving ${legacy} to ${df.root}: it is not a folder of the user Lifeboat runs as, so it is not trusted`);
    return;
  }
  await mkdir(dirname(df.root), { recursive: true, mode: 0o700 });
  try {
    await rename(legacy, df.root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // Another file system: copy next to the target, then let the complete copy appear at once.
    const moving = `${df.root}.moving-${randomBytes(4).toString('hex')}`;
    await cp(legacy, moving, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, errorOnExist: true });
    await rename(moving, df.root);
    await rm(legacy, { recursive: true, force: true });
  }
  await chmod(df.root, 0o700);
  log.warn(`Moved Lifeboat's data folder out of the installation, from ${legacy} to ${df.root}`);
}

/** Data folders this process has prepared (the serve lock, the core and the manager each ask). */
const prepared = new Set<string>();

/**
 * Prepares the data folder, once per process: moves an old one out of the installation, creates
 * it private, and refuses (DataFolderUnsafeError, with the fix) when it or secrets.json is not
 * private.
 */
export async function ensureDataFolder(df: DataFolder, log: Logger = silentLogger): Promise<void> {
  const key = `${df.installation}\n${df.root}`;
  if (prepared.has(key)) return;
  await moveLegacyFolder(df, log);
  await mkdir(df.root, { recursive: true, mode: 0o700 });
  checkPrivate(df.root, await stat(df.root), 'folder');
  const secrets = await lstat(df.secrets).catch(() => null);
  if (secrets) {
    if (!secrets.isFile()) throw new DataFolderUnsafeError(`${df.secrets} is not a plain file; Lifeboat will not read keys from it`);
    checkPrivate(df.secrets, secrets, 'file');
  }
  await mkdir(df.tmp, { recursive: true, mode: 0o700 });
  if (inside(df.installation, df.root)) {
    log.warn(`The data folder ${df.root} is inside the installation: Home Assistant's own backups will include Lifeboat's keys`);
  }
  prepared.add(key);
}
