// What Lifeboat does with a recorder database that lives in a database server (MariaDB/MySQL or
// PostgreSQL) rather than in the installation: dump it consistently while Home Assistant keeps
// writing, and on restore load a dump beside the live data first and then swap it in atomically,
// so a failed or interrupted load never touches what is there. One implementation per server kind.

import type { RecorderDatabase } from '../recorder-config.js';
import type { RunningTool } from './db-process.js';

/** The connection facts of a recorder database in a server (from `db_url` or Lifeboat's setting). */
export type ServerDatabase = Extract<RecorderDatabase, { kind: 'mysql' | 'postgresql' }>;

export type ExternalKind = 'mysql' | 'postgresql';

export interface ExternalRecorder {
  readonly kind: ExternalKind;
  /** The server's name and version, e.g. `MariaDB 10.11.19-MariaDB-0+deb12u1`; also proves the connection works. */
  serverVersion(signal?: AbortSignal): Promise<string>;
  /** Starts the dump: one consistent snapshot, written as SQL to the tool's standard output. */
  startDump(signal?: AbortSignal): RunningTool;
  /** Loads a dump beside the live data (a fresh database or schema); the live data is untouched. */
  load(dump: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<void>;
  /** Exchanges the loaded data with the live data in one atomic step; the old data is kept aside. */
  swapIn(): Promise<void>;
  /** Undoes swapIn: the old data back in place, the loaded data aside again. */
  swapBack(): Promise<void>;
  /** Removes the old data kept aside by swapIn (after the whole restore succeeded). */
  dropOld(): Promise<void>;
  /** Removes loaded data that was never swapped in (a restore that stopped before the swap). */
  discardLoaded(): Promise<void>;
  /**
   * Ends a restore's swap wherever it stopped, even in another process that died, with the data
   * from before the restore live (`old`: the restore was rolled back) or the loaded data (`new`: it
   * was completed), and nothing kept aside. Safe to repeat; with no restore's data about, a no-op.
   */
  settle(keep: 'old' | 'new'): Promise<void>;
}

/** Where a dump goes into the live data's server, named for messages (never with credentials). */
export const KIND_NAMES: Record<ExternalKind, string> = { mysql: 'MariaDB/MySQL', postgresql: 'PostgreSQL' };
