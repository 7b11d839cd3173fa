// Which recorder database a backup of an installation includes, and where a restore puts it back:
// the SQLite file in the installation (the tree walk takes it), a database server named by Home
// Assistant's `db_url` (dumped), or, as the user set it, none or another address (Home Assistant's
// `db_url` may name a host only Home Assistant can reach, e.g. an add-on's `core-mariadb`).

import { describeRecorder, detectRecorder, parseDbUrl } from '../recorder-config.js';
import { isServerDatabase, type ServerDatabase } from './server-database.js';

/** The setting: `auto` follows Home Assistant's configuration, `off` leaves a server database out, `custom` uses Lifeboat's own address. */
export type RecorderMode = 'auto' | 'off' | 'custom';

export type RecorderChoice =
  | { kind: 'sqlite'; description: string; source: string }
  | { kind: 'server'; db: ServerDatabase; description: string; source: string }
  /** A server database that the setting leaves out. */
  | { kind: 'off'; description: string; source: string }
  /** The configuration could not be read, or names a database Lifeboat cannot dump. */
  | { kind: 'unknown'; description: string; error: string };

export interface RecorderSetting {
  mode: RecorderMode;
  /** The address for `custom` (a secret: it may hold a password). */
  customUrl: string | null;
}

export async function chooseRecorder(installation: string, setting: RecorderSetting): Promise<RecorderChoice> {
  try {
    if (setting.mode === 'custom') {
      if (!setting.customUrl) return { kind: 'unknown', description: 'no recorder database address set', error: 'The recorder database is set to a custom address, but none is saved (lifeboat settings recorder-url)' };
      const db = parseDbUrl(setting.customUrl, installation);
      if (!isServerDatabase(db)) return { kind: 'sqlite', description: describeRecorder(db, installation), source: 'Lifeboat settings' };
      return { kind: 'server', db, description: describeRecorder(db, installation), source: 'Lifeboat settings' };
    }
    const found = await detectRecorder(installation);
    const description = describeRecorder(found.db, installation);
    if (!isServerDatabase(found.db)) return { kind: 'sqlite', description, source: found.source };
    if (setting.mode === 'off') return { kind: 'off', description, source: found.source };
    return { kind: 'server', db: found.db, description, source: found.source };
  } catch (err) {
    const error = (err as Error).message;
    return { kind: 'unknown', description: 'the recorder configuration could not be read', error };
  }
}
