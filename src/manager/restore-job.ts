// Restoring a backup without ever leaving the installation half-restored: check that Home
// Assistant can be stopped and started (when asked to), check the password, extract the new tree
// (fully decrypted, decompressed and digest-checked) into a staging folder on the same file
// system, stop Home Assistant, swap the trees under a journal, start it again — also when the swap
// failed and was rolled back. Any failure before the swap leaves the installation exactly as it was.
// A partial restore (`paths`) extracts and swaps only the chosen paths (restore-paths.ts).

import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { withBackupReader, type BackupReader } from '../archive/backup-reader.js';
import { BackupManagerError, BackupReaderWriterError, HardLinkTargetMissing, InvalidBackupArchive, InvalidRequestError, UnencryptedBackupError } from '../util/errors.js';
import { nowDate } from '../util/clock.js';
import { lockOf } from './backup-key.js';
import { extractInner } from '../archive/unpack.js';
import { warmUpExtractWorker } from '../archive/extract-writer.js';
import { DUMP_FOLDER } from '../source/external-db/dump-entries.js';
import { checkRecorderBeforeExtract, loadRecorder, settleRecorderSwap, type LoadedRecorder } from './recorder-restore-step.js';
import { crashPoint } from '../util/crash-point.js';
import { writeJsonAtomic } from '../util/durable-fs.js';
import { isStagingName, LEGACY_DATA_FOLDER } from './data-folder.js';
import type { RestoreBackupEvent, RestoreState } from './events.js';
import { failureReason } from './failure-reason.js';
import type { JobContext } from './job-context.js';
import { stepProgress } from './progress.js';
import { checkWays, createStaging, recoverSwap, stagingNew, swapTrees, type SwapPlace } from './restore-swap.js';
import { choosePaths, DATABASE_FILES, partialSwap, takesPath, type ChosenPaths } from './restore-paths.js';
import type { HaControl } from './ha-control.js';
import { clearStopping, noteStopping } from './ha-left-stopped.js';
import { checkFreeSpace, unpackedBytes } from './restore-space.js';
import { compareHaVersions } from './ha-version.js';
import { checkRestoreOwner } from './restore-owner.js';

export { DATABASE_FILES };

export interface RestoreOptions {
  /**
   * Checks of the request that fail it after the first event (Home Assistant's order: the busy
   * check refuses without an event, every later refusal is reported in_progress → failed).
   */
  validate?: () => Promise<void>;
  /** The backup file to restore (resolved from a location by the manager). */
  file?: string;
  /** Gets the file when it is not given: a remote copy downloaded (and removed afterwards). */
  fetch?: () => Promise<{ file: string; known: boolean; agentId: string; cleanup(): Promise<void> }>;
  /**
   * Restore an unencrypted copy fetched from a remote location that is not a copy Lifeboat sent
   * there, although Lifeboat encrypts its backups (someone with access to the location could have
   * replaced it). Default false: such a restore is refused.
   */
  allowUnencrypted?: boolean;
  /** The backup's password; without one, the keyring's keys are tried. */
  password?: string | null;
  /** Restore the configuration (everything but the database). Default true; not with `paths`. */
  restoreHomeassistant?: boolean;
  /** Restore the recorder database. Default true; not with `paths`. */
  restoreDatabase?: boolean;
  /**
   * Restore only these paths (files or folders, relative to the installation), each of which must
   * be in the backup; everything else is left as it is. The recorder database only when a path
   * names it (`home-assistant_v2.db`, the recorder dump folder).
   */
  paths?: readonly string[];
  /** Home Assistant's rule: a password given for an unencrypted backup is an error. Default true. */
  strictPassword?: boolean;
  /** Restore even when the backup was made by a newer Home Assistant than the installation's. */
  allowNewerVersion?: boolean;
  /**
   * Stops Home Assistant just before the swap (a failure aborts the restore) and starts it after
   * (a failure is reported, the restore stands); checked before anything else is done.
   */
  control?: HaControl | null;
}

export interface RestoreResult {
  backupId: string;
  name: string;
  restoredDatabase: boolean;
  restoredConfiguration: boolean;
  /** What the restore replaced: top-level names, or the chosen paths the installation had. */
  replaced: string[];
  /** The paths a partial restore restored (normalised); null for a whole restore. */
  paths: string[] | null;
  /** Why Home Assistant could not be started again after the restore, if it could not. */
  startCommandError: string | null;
}

function restoreEvent(state: RestoreState, reason: string | null = null): RestoreBackupEvent {
  return { manager_state: 'restore_backup', reason, stage: null, state };
}

/** The first component of `path` below the installation, if it lies inside it. */
function topLevelOf(installation: string, path: string): string | null {
  return path.startsWith(`${installation}/`) ? (path.slice(installation.length + 1).split('/')[0] ?? null) : null;
}

/** Names that a restore never touches: the backups folder, Lifeboat's own folders. */
function keepList(ctx: JobContext): (name: string) => boolean {
  const keep = new Set(['backups', LEGACY_DATA_FOLDER]);
  for (const own of [ctx.df.root, ctx.df.backups]) {
    const top = topLevelOf(ctx.df.installation, own);
    if (top) keep.add(top);
  }
  return (name) => keep.has(name) || isStagingName(name);
}

async function topLevel(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * The key that opens the backup (the keyring's rule), with Home Assistant's strictness: a password
 * given for an unencrypted backup is an error, unless the caller says not to mind (the CLI).
 */
async function findPassword(ctx: JobContext, reader: BackupReader, opts: RestoreOptions): Promise<string | null> {
  const given = opts.password ?? null;
  const lock = await lockOf(reader);
  if (!lock.protected) {
    if (given !== null && opts.strictPassword !== false) await reader.validatePassword(given);
    return null;
  }
  return ctx.keys.keyFor(lock, given);
}

/** Where the file came from, when it was fetched from a remote location. */
interface Fetched {
  agentId: string;
  known: boolean;
}

/** What a restore replaces: the configuration, the database, or with `paths` only those. */
interface RestoreScope {
  restoreConfig: boolean;
  restoreDb: boolean;
  chosen: ChosenPaths | null;
}

function scopeOf(ctx: JobContext, opts: RestoreOptions): RestoreScope {
  if (opts.paths === undefined) {
    const scope = { restoreConfig: opts.restoreHomeassistant ?? true, restoreDb: opts.restoreDatabase ?? true, chosen: null };
    if (!scope.restoreConfig && !scope.restoreDb) throw new BackupManagerError('Home Assistant or database must be included in restore');
    return scope;
  }
  if (opts.restoreHomeassistant !== undefined || opts.restoreDatabase !== undefined) {
    throw new InvalidRequestError('invalid_request', 'The paths of a partial restore say what is restored; leave out restoreHomeassistant and restoreDatabase');
  }
  const chosen = choosePaths(opts.paths, keepList(ctx));
  return { restoreConfig: chosen.restoreConfig, restoreDb: chosen.restoreDb, chosen };
}

async function checkBackup(ctx: JobContext, reader: BackupReader, opts: RestoreOptions, scope: RestoreScope, fetched: Fetched | null): Promise<string | null> {
  const backup = reader.backup;
  if (!reader.homeAssistantArchive() || !backup.homeassistant_included) {
    throw new InvalidBackupArchive('This backup does not contain Home Assistant (add-on and folder backups are not restored here)');
  }
  const password = await findPassword(ctx, reader, opts);
  if (fetched && !fetched.known && !backup.protected && ctx.keys.current !== null && !opts.allowUnencrypted) {
    throw new UnencryptedBackupError(
      `Backup ${backup.backup_id} on ${fetched.agentId} is not encrypted, although Lifeboat encrypts its backups, and it is not a copy Lifeboat sent there: someone with access to that location could have replaced it. If you trust it, confirm the restore (--allow-unencrypted)`,
    );
  }
  if (scope.restoreDb && !scope.restoreConfig && !backup.database_included) {
    throw new BackupManagerError('The backup does not contain the database, so a database-only restore is not possible');
  }
  // The installation's own recorder takes the database: a dump that cannot go there is refused now.
  if (scope.restoreDb && (!scope.restoreConfig || scope.chosen)) await checkRecorderBeforeExtract(ctx, backup.extra_metadata);
  const current = await ctx.haVersion();
  if (!opts.allowNewerVersion && current && backup.homeassistant_version && compareHaVersions(backup.homeassistant_version, current) > 0) {
    throw new BackupManagerError(
      `You need at least Home Assistant version ${backup.homeassistant_version} to restore this backup (the installation has ${current})`,
    );
  }
  return password;
}

/**
 * Whether the restore replaces the installation's database. A whole restore of a backup made
 * without it restores the configuration only: replacing the database with nothing would delete the
 * recorder's history and bring back none.
 */
function restoresDatabase(ctx: JobContext, scope: RestoreScope, backup: { database_included: boolean; backup_id: string }): boolean {
  if (!scope.restoreDb || scope.chosen || backup.database_included) return scope.restoreDb;
  ctx.log.info(`Backup ${backup.backup_id} does not contain the database: the installation's database is kept`);
  return false;
}

/**
 * Stops Home Assistant; resolves whether it is to be started again afterwards: when it ran, or when
 * an interrupted restore had left it stopped (`leftStopped`: its note was there), as that one would have.
 */
async function stopHomeAssistant(ctx: JobContext, control: HaControl, leftStopped: boolean): Promise<boolean> {
  ctx.log.info(`Stopping Home Assistant (${control.target}) before the swap`);
  const wasRunning = await control.stop();
  if (wasRunning) ctx.log.info('Home Assistant stopped');
  else if (leftStopped) ctx.log.info('Home Assistant was left stopped by an interrupted restore; it is started after this one');
  else ctx.log.info('Home Assistant was not running; it is left stopped after the restore');
  if (!wasRunning && !leftStopped) await clearStopping(ctx.df.homeAssistantStopped).catch(() => undefined);
  return wasRunning || leftStopped;
}

/** Starts Home Assistant again; resolves with the reason when it could not. */
async function startHomeAssistant(ctx: JobContext, control: HaControl, after: string): Promise<string | null> {
  ctx.log.info(`Starting Home Assistant (${control.target}) ${after}`);
  try {
    await control.start();
    ctx.log.info('Home Assistant started');
    return null;
  } catch (err) {
    const message = (err as Error).message;
    ctx.log.warn(`Home Assistant could not be started ${after}`, { error: message });
    return message;
  } finally {
    await clearStopping(ctx.df.homeAssistantStopped).catch(() => undefined);
  }
}

export async function runRestore(ctx: JobContext, opts: RestoreOptions): Promise<RestoreResult> {
  const root = ctx.df.installation;
  // A recorder dump loaded beside the live data (swapped in under the files' journal).
  const recorder: { loaded: LoadedRecorder | null } = { loaded: null };
  const place: SwapPlace = {
    root,
    journal: ctx.df.restoreJournal,
    warn: (message: string) => ctx.log.warn(message),
    settleRecorder: (named, keep, staging) => settleRecorderSwap(ctx, named, keep, recorder.loaded, staging),
  };
  ctx.emit(restoreEvent('in_progress'));
  warmUpExtractWorker(); // boots while the key is derived
  let step = 'restore_failed';
  let cleanup: () => Promise<void> = async () => undefined;
  const control = opts.control ?? null;
  // Set once a stop was tried: from then on, Home Assistant is started again whatever happens.
  let restart = false;
  try {
    await opts.validate?.();
    const scope = scopeOf(ctx, opts);
    const { restoreConfig, chosen } = scope;
    // Settled once the backup is open: a backup without the database leaves the installation's.
    let restoreDb = scope.restoreDb;
    await checkRestoreOwner(root);
    if (control) {
      step = 'home_assistant_unavailable';
      await control.check();
      step = 'restore_failed';
    }
    let file = opts.file;
    let fetched: Fetched | null = null;
    if (file === undefined) {
      step = 'download_failed';
      if (!opts.fetch) throw new BackupManagerError('No backup file to restore');
      const source = await opts.fetch();
      file = source.file;
      fetched = source;
      cleanup = () => source.cleanup();
      step = 'restore_failed';
    }
    // Whatever an earlier interrupted restore left is settled first.
    await recoverSwap(place);
    const result = await withBackupReader(file, async (reader) => {
      step = 'password_incorrect';
      const password = await checkBackup(ctx, reader, opts, scope, fetched);
      const backup = reader.backup;
      restoreDb = restoresDatabase(ctx, scope, backup);
      const kept = keepList(ctx);
      const isDb = (name: string) => DATABASE_FILES.includes(name) || name === DUMP_FOLDER;
      const wanted = (top: string) => !kept(top) && (isDb(top) ? restoreDb : restoreConfig);

      const inner = reader.homeAssistantArchive()!;
      step = 'extract_failed';
      // The database is most of a backup: a restore without it (its configuration, or a few chosen
      // paths) is not refused for the whole backup's size; a disk that fills anyway stops the extraction.
      if (restoreDb) await checkFreeSpace(root, unpackedBytes(backup, inner.name, inner.member.size), `backup ${backup.backup_id}`);
      const staging = await createStaging(root);
      const newDir = stagingNew(staging);
      const progress = stepProgress(ctx.emit, 'restore_backup', 'extract', inner.member.size);
      await extractInner(reader, inner, password, newDir, {
        stripPrefix: 'data',
        filter: (path) => {
          const parts = path.split('/').filter((p) => p && p !== '.');
          if (parts[0] !== 'data' || parts.length === 1) return true;
          return chosen ? takesPath(chosen, parts.slice(1).join('/')) : wanted(parts[1] as string);
        },
        onBytes: (n) => progress.add(n),
        signal: ctx.signal,
        durable: true, // the new tree is on disk before anything is swapped for it
      }).catch((err: unknown) => {
        // A file the backup holds as a hard link whose target this partial restore leaves out.
        if (err instanceof HardLinkTargetMissing && chosen && !takesPath(chosen, err.target)) {
          throw new BackupManagerError(
            `${err.path} is a hard link to ${err.target} in backup ${backup.backup_id}, and ${err.target} is not among the paths restored: restore it too, or the whole backup`,
          );
        }
        throw err;
      });
      progress.finish();
      crashPoint('restore:extracted');

      if (restoreDb) {
        step = 'database_load_failed';
        // A partial restore keeps the installation's configuration, so its recorder decides.
        recorder.loaded = await loadRecorder(ctx, newDir, { restoreConfig: restoreConfig && !chosen });
        step = 'extract_failed';
      }
      ctx.signal.throwIfAborted(); // last moment to stop: nothing has been replaced yet
      // A loaded dump goes into its database, never into the installation.
      const swapLists = async () =>
        chosen
          ? await partialSwap(root, newDir, chosen, backup.backup_id)
          : { moveOut: (await topLevel(root)).filter(wanted), moveIn: (await topLevel(newDir)).filter((name) => wanted(name) && name !== DUMP_FOLDER) };
      const lists = await swapLists();
      const moveIn = lists.moveIn;
      let moveOut = lists.moveOut;
      await checkWays({ ...place, staging, moveOut, moveIn }); // refused here, while Home Assistant still runs
      if (control) {
        step = 'stop_failed';
        // Noted first: a restore that dies from here on leaves Home Assistant to the next start.
        const leftStopped = await access(ctx.df.homeAssistantStopped).then(() => true, () => false);
        await noteStopping(ctx.df.homeAssistantStopped, control, nowDate(ctx.clock));
        restart = true;
        restart = await stopHomeAssistant(ctx, control, leftStopped);
      }
      step = 'swap_failed';
      // Stopping changes the installation: SQLite removes the recorder's -wal and -shm files, and
      // Home Assistant may write a file on its way out. What is replaced is what is there now.
      if (control) moveOut = (await swapLists()).moveOut;
      ctx.emit({ lifeboat: 'progress', manager_state: 'restore_backup', step: 'swap', done_bytes: 0, total_bytes: null });
      const loaded = recorder.loaded;
      await swapTrees({ ...place, staging, moveOut, moveIn, recorder: loaded ? { identity: loaded.identity, swapIn: () => loaded.swapIn() } : undefined });
      recorder.loaded = null;
      let startCommandError: string | null = null;
      if (control && restart) {
        restart = false;
        startCommandError = await startHomeAssistant(ctx, control, 'after the restore');
      }
      return {
        backupId: backup.backup_id,
        name: backup.name,
        restoredDatabase: restoreDb && backup.database_included,
        restoredConfiguration: restoreConfig,
        replaced: moveOut,
        paths: chosen ? chosen.asked : null,
        startCommandError,
      };
    });
    await writeJsonAtomic(ctx.df.restoreResult, { success: true, error: null, error_type: null, at: nowDate(ctx.clock).toISOString(), ...result });
    ctx.emit(restoreEvent('completed'));
    return result;
  } catch (err) {
    // Before the swap this discards the staging folder; during it, it rolls the swap back.
    const whole = await recoverSwap(place).then(
      () => true,
      (e: unknown) => {
        ctx.log.error('Could not clean up after a failed restore', { error: String(e) });
        return false;
      },
    );
    // Loaded data the swap's journal never named (a restore that failed before it) goes too.
    await recorder.loaded?.settle('old').catch((e: unknown) => ctx.log.error('Could not remove the recorder data loaded for the failed restore', { error: String(e) }));
    // Home Assistant is started only on an installation that is whole again; otherwise it stays
    // stopped, and noted so, until the next start has settled the swap (or someone has).
    if (control && restart && whole) await startHomeAssistant(ctx, control, 'after the failed restore');
    else if (control && restart) ctx.log.error('Home Assistant is left stopped: the installation could not be put back as it was; see the error above');
    const reason = failureReason(err, step);
    await writeJsonAtomic(ctx.df.restoreResult, {
      success: false,
      error: (err as Error).message,
      error_type: err instanceof Error ? err.constructor.name : 'Error',
      reason,
      at: nowDate(ctx.clock).toISOString(),
    }).catch(() => undefined);
    ctx.emit(restoreEvent('failed', reason));
    throw err instanceof Error ? err : new BackupReaderWriterError(String(err));
  } finally {
    await cleanup().catch(() => undefined);
  }
}
