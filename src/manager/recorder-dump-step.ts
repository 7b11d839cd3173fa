// The recorder database of a backup when it lives in a database server: which one (Home
// Assistant's configuration and Lifeboat's setting), a connection check before the archive starts
// (an unreachable server leaves the database out with a warning, as a SQLite copy that failed
// does), then the dump streamed into the archive after the installation's files, and its facts in
// backup.json's extra_metadata.

import type { ExtraMetadata } from '../archive/backup-json.js';
import type { InnerEntry } from '../archive/inner-tar-writer.js';
import type { DatabaseCopy } from '../source/database-snapshots.js';
import { DUMP_FOLDER, dumpEntries, recorderExtra, type DumpInArchive } from '../source/external-db/dump-entries.js';
import { externalRecorder } from '../source/external-db/server-database.js';
import type { JobContext } from './job-context.js';

export interface RecorderDump {
  /** The dump's archive entries; empty when there is nothing to dump. */
  entries: AsyncIterable<InnerEntry>;
  /** Placeholders in backup.json (their final values come from finalExtra). */
  extra: ExtraMetadata;
  finalExtra(): ExtraMetadata;
  /** The dump as a database copy of the result, once the archive is written (or its failure). */
  copy(): DatabaseCopy | null;
}

const nothing: RecorderDump = {
  entries: (async function* () {})(),
  extra: {},
  finalExtra: () => ({}),
  copy: () => null,
};

export async function prepareRecorderDump(ctx: JobContext, includeDatabase: boolean, mtimeNs: bigint): Promise<RecorderDump> {
  if (!includeDatabase) return nothing;
  const choice = await ctx.recorder(ctx.df.installation);
  if (choice.kind === 'unknown') {
    ctx.log.warn(`Which recorder database Home Assistant uses is not known (${choice.error}); only a SQLite database in the installation is backed up`);
    return nothing;
  }
  if (choice.kind === 'off') ctx.log.info(`The recorder database (${choice.description}) is left out, as the settings say`);
  if (choice.kind !== 'server') return nothing;

  const recorder = externalRecorder(choice.db);
  let version: string;
  const started = Date.now();
  try {
    version = await recorder.serverVersion(ctx.signal);
  } catch (err) {
    const error = (err as Error).message;
    ctx.log.warn(`Could not reach the recorder database (${choice.description}); the backup goes on without it`, { error });
    const failed: DatabaseCopy = { path: DUMP_FOLDER, ok: false, bytes: 0, ms: Date.now() - started, error };
    return { ...nothing, copy: () => failed };
  }
  ctx.log.info(`The recorder database (${choice.description}, ${version}) is dumped into the backup`);
  const dump: DumpInArchive = dumpEntries(recorder, version, { mtimeNs, signal: ctx.signal });
  return {
    entries: dump.entries,
    extra: recorderExtra(recorder.kind, version),
    finalExtra: () => {
      const m = dump.manifest();
      return m ? recorderExtra(m.kind, m.server_version, m.bytes, m.sha256) : {};
    },
    copy: () => {
      const m = dump.manifest();
      return m ? { path: DUMP_FOLDER, ok: true, bytes: m.bytes, ms: Date.now() - started } : null;
    },
  };
}
