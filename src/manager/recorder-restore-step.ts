// The recorder database in a restore. The restored tree decides which database it goes to (a full
// restore brings the backup's own configuration; a database-only one keeps the installation's), and
// a backup's database must fit it: a SQLite file is not loaded into a MariaDB recorder, nor a dump
// into SQLite — such a restore is refused before anything is touched. A dump is loaded beside the
// live data while Home Assistant still runs, and swapped in atomically under the files' journal,
// once it is written: an interrupted swap of both is rolled back or completed together, here or at
// the next start.

import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { RECORDER_DB } from '../source/database-snapshots.js';
import { DUMP_FOLDER, RECORDER_EXTRA } from '../source/external-db/dump-entries.js';
import { readDumpManifest, readDumpParts } from '../source/external-db/dump-reader.js';
import { KIND_NAMES, type ExternalKind, type ExternalRecorder, type ServerDatabase } from '../source/external-db/external-recorder.js';
import type { RecorderChoice } from '../source/external-db/recorder-choice.js';
import { externalRecorder } from '../source/external-db/server-database.js';
import { BackupManagerError } from '../util/errors.js';
import type { JobContext } from './job-context.js';
import { stepProgress } from './progress.js';
import { RecorderNotNamedError, type RecorderIdentity } from './restore-swap.js';

/** A restore's database does not fit the installation's recorder. */
export class RecorderMismatchError extends BackupManagerError {
  override readonly code: string = 'recorder_database_mismatch';
}

export interface LoadedRecorder {
  /** The database, as the swap's journal names it. */
  identity: RecorderIdentity;
  /** Exchanges the loaded database with the live one (atomic). */
  swapIn(): Promise<void>;
  /** Ends the swap wherever it stopped, the old data live (`old`) or the loaded (`new`); repeatable. */
  settle(keep: 'old' | 'new'): Promise<void>;
}

/** A server database as a restore's journal names it: where, never with what credentials. */
export function recorderIdentity(db: ServerDatabase): RecorderIdentity {
  return { kind: db.kind, host: db.host, port: db.port, socket: db.socket, database: db.database };
}

/** The server's port as the client tools take it when none is given (no port over a socket). */
const DEFAULT_PORTS: Record<ExternalKind, number> = { mysql: 3306, postgresql: 5432 };
const portOf = (id: RecorderIdentity) => (id.socket ? null : (id.port ?? DEFAULT_PORTS[id.kind]));

const sameDatabase = (a: RecorderIdentity, b: RecorderIdentity) =>
  a.kind === b.kind && a.host === b.host && portOf(a) === portOf(b) && a.socket === b.socket && a.database === b.database;

/**
 * Ends an interrupted restore's recorder swap that a journal names, through a configuration that
 * names that database (with its credentials): the installation's now, or the restore's staged
 * trees — after a rollback the backup's configuration is back in `new/`, after a completed swap the
 * configuration from before it is in `old/`. None naming it is a RecorderNotNamedError.
 */
export async function settleRecorderSwap(
  ctx: Pick<JobContext, 'recorder' | 'df'>,
  named: RecorderIdentity,
  keep: 'old' | 'new',
  loaded: LoadedRecorder | null = null,
  staging: string | null = null,
): Promise<void> {
  if (loaded && sameDatabase(loaded.identity, named)) return loaded.settle(keep);
  const roots = [ctx.df.installation, ...(staging ? [join(staging, 'new'), join(staging, 'old')] : [])];
  for (const root of roots) {
    if (!(await exists(root))) continue;
    const choice = await ctx.recorder(root);
    if (choice.kind === 'server' && sameDatabase(recorderIdentity(choice.db), named)) return externalRecorder(choice.db).settle(keep);
  }
  throw new RecorderNotNamedError(`no configuration here names the ${KIND_NAMES[named.kind]} database ${named.database} the restore swapped`);
}

/**
 * Whether a dump of `kind` goes into `target`: true when it is loaded, false when the settings
 * leave the recorder database out; a target of another kind (or none known) is refused.
 */
function dumpFits(ctx: JobContext, kind: ExternalKind, version: string, target: RecorderChoice, whose: string): boolean {
  const kindName = KIND_NAMES[kind];
  if (target.kind === 'off') {
    ctx.log.info(`The backup's ${kindName} recorder database is not restored: the settings leave the recorder database out`);
    return false;
  }
  if (target.kind === 'unknown') throw new RecorderMismatchError(`This backup holds a ${kindName} recorder database, but where to restore it is not known: ${target.error}`);
  if (target.kind === 'sqlite' || target.db.kind !== kind) {
    throw new RecorderMismatchError(
      `This backup holds a ${kindName} recorder database (${version}), but ${whose} uses ${target.description}: restore the configuration only (--config-only), or point the recorder at a ${kindName} database`,
    );
  }
  return true;
}

/**
 * Before anything is extracted: a database-only restore of a backup with a server dump is refused
 * at once when the installation's recorder cannot take it (the backup.json says what it holds).
 */
export async function checkRecorderBeforeExtract(ctx: JobContext, extra: Record<string, unknown>): Promise<void> {
  const kind = extra[RECORDER_EXTRA.kind];
  if (kind !== 'mysql' && kind !== 'postgresql') return;
  const version = String(extra[RECORDER_EXTRA.serverVersion] ?? 'unknown version');
  dumpFits(ctx, kind, version, await ctx.recorder(ctx.df.installation), "the installation's recorder");
}

const exists = (path: string) => lstat(path).then(
  () => true,
  () => false,
);

/**
 * Checks the backup's database against the recorder of the tree that will be live, and loads a
 * dump beside the live data. Null when there is no dump to load.
 */
export async function loadRecorder(ctx: JobContext, staged: string, opts: { restoreConfig: boolean }): Promise<LoadedRecorder | null> {
  const folder = join(staged, DUMP_FOLDER);
  const manifest = await readDumpManifest(folder);
  const hasSqlite = await exists(join(staged, RECORDER_DB));
  if (!manifest && !hasSqlite) return null;
  const target = await ctx.recorder(opts.restoreConfig ? staged : ctx.df.installation);
  const whose = opts.restoreConfig ? "the restored configuration's recorder" : "the installation's recorder";
  if (hasSqlite && target.kind === 'server') {
    throw new RecorderMismatchError(
      `This backup holds a SQLite recorder database, but ${whose} uses ${target.description}: restore the configuration only (--config-only), or set the recorder back to SQLite first`,
    );
  }
  if (!manifest) return null;
  if (!dumpFits(ctx, manifest.kind, manifest.server_version, target, whose) || target.kind !== 'server') return null;

  const recorder: ExternalRecorder = externalRecorder(target.db);
  ctx.log.info(`Loading the backup's recorder database (${manifest.server_version}, ${manifest.bytes} bytes) into ${target.description}, beside the live data`);
  const progress = stepProgress(ctx.emit, 'restore_backup', 'load_database', manifest.bytes);
  try {
    async function* counted() {
      for await (const chunk of readDumpParts(folder, manifest!)) {
        progress.add(chunk.length);
        yield chunk;
      }
    }
    await recorder.load(counted(), ctx.signal);
  } catch (err) {
    await recorder.discardLoaded().catch(() => undefined);
    throw err;
  }
  progress.finish();
  return { identity: recorderIdentity(target.db), swapIn: () => recorder.swapIn(), settle: (keep) => recorder.settle(keep) };
}
